#pragma once
// The [guard] table of the config file as the guard's Settings. Config::Guard is checked by the
// loader already (ranges, networks, signatures), so this only converts.

#include "config/config.h"
#include "guard/settings.h"

namespace hardline::guard {

Settings settings_from_config(const config::Config::Guard& config);

}  // namespace hardline::guard
