# Writes OUT: a C++ file defining firmnet::backends::embedded_kernel_files(), the kernel headers as strings.
set(body "#include <string_view>\n#include <utility>\n#include <vector>\nnamespace firmnet::backends {\n")
string(APPEND body "const std::vector<std::pair<std::string_view, std::string_view>>& embedded_kernel_files() {\n")
string(APPEND body "  static const std::vector<std::pair<std::string_view, std::string_view>> files = {\n")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME)
  file(READ ${f} content)
  # Raw string with a delimiter that cannot occur in the kernels.
  string(APPEND body "    {\"${name}\", R\"FIRMNET_EMBED(${content})FIRMNET_EMBED\"},\n")
endforeach()
string(APPEND body "  };\n  return files;\n}\n}  // namespace firmnet::backends\n")
file(WRITE ${OUT} "${body}")
