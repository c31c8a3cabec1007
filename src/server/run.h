#pragma once
// `hardline serve`: opens the deployment's store, starts the SIP server and runs its event loop
// in the calling thread until SIGTERM or SIGINT, then stops cleanly (pending bindings written).
#include <string>

#include "common/result.h"
#include "config/config.h"

namespace hardline::server {

// Returns when the server has stopped; an error when it could not start (the text says why).
Result<void, std::string> serve(const config::Config& config);

}  // namespace hardline::server
