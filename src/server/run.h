#pragma once
// `hardline serve`: opens the deployment's store, starts the SIP server and runs its event loop
// in the calling thread until SIGTERM or SIGINT, then stops cleanly (pending bindings written).
// SIGHUP is caught and logged (reloading is not supported yet): it never stops the server.
#include <string>

#include "common/result.h"
#include "config/config.h"

namespace hardline::server {

// Returns when the server has stopped, with why ("stopped by SIGTERM"); an error when it could
// not start (the text says why).
Result<std::string, std::string> serve(const config::Config& config);

}  // namespace hardline::server
