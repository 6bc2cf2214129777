// cartopull: argv -> config -> App -> run -> exit status. Everything else lives in lib/.
#include "app/cli.hpp"

int main(int argc, char** argv) {
  return cartopull::app::run_cli(argc, argv);
}
