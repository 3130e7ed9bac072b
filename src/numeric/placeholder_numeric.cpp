// placeholder until this stage has code
namespace firmnet {}
