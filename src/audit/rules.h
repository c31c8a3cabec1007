#pragma once
// The audit's judgement: pure functions from the config and the gathered facts to findings.
// No I/O here, so each rule is a unit test over a table of facts.
#include <vector>

#include "audit/facts.h"
#include "audit/finding.h"
#include "config/config.h"

namespace hardline::audit {

// Every check, sorted in checklist order (kChecklistIds); every ID appears at least once.
std::vector<Finding> run_rules(const config::Config& config, const Facts& facts);

// The sections, for tests: MP-1 and OS-1..OS-8; FS-1..FS-4; NET-1..NET-7; the rest (DB, SIP,
// RT, PW, UP, TE, LOG, MON, CHK, DR), of which routing_rules gives SIP-4 and RT-1..RT-8.
std::vector<Finding> host_rules(const config::Config& config, const Facts& facts);
std::vector<Finding> file_rules(const config::Config& config, const Facts& facts);
std::vector<Finding> network_rules(const config::Config& config, const Facts& facts);
std::vector<Finding> service_rules(const config::Config& config, const Facts& facts);
std::vector<Finding> routing_rules(const config::Config& config);

// 0 when no finding fails, 1 otherwise.
int exit_status(const std::vector<Finding>& findings);

// Whether the account can write the file: as its owner, through one of its groups, or as
// anyone (others' write bit).
bool writable_by(const FileFacts& file, const AccountFacts& account);

}  // namespace hardline::audit
