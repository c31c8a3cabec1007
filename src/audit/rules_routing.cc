// SIP-4 and RT-1..RT-8: what the B2BUA always does, and what the config's [sources], [[trunk]]
// and [dialplan] say. RT-8 runs the same analysis as `hardline dialplan check`.
#include <algorithm>
#include <optional>
#include <string>

#include "audit/rules.h"
#include "audit/rules_util.h"
#include "routing/analysis.h"
#include "routing/bar_forms.h"
#include "routing/dialplan.h"
#include "routing/numbering.h"
#include "routing/regex_language.h"
#include "routing/tools.h"

namespace hardline::audit {
namespace {

using detail::finding;
using detail::join;

std::string quoted(const std::string& name) {
  return "'" + name + "'";
}

std::string networks_text(const std::vector<Network>& networks) {
  std::vector<std::string> parts;
  parts.reserve(networks.size());
  for (const Network& network : networks) parts.push_back(to_string(network));
  return join(parts, ", ");
}

// "trunk 'provider' (sources 198.51.100.0/24)" or "(no sources: ...)".
std::string trunk_sources_text(const config::Trunk& trunk) {
  return "trunk " + quoted(trunk.name) +
         (trunk.sources.empty() ? " (no sources: no inbound call is taken as coming from it)"
                                : " (calls from " + networks_text(trunk.sources) + ")");
}

bool admits_trunks(const config::Rule& rule) {
  return rule.callers.any_trunk || !rule.callers.trunks.empty();
}

const config::Trunk* trunk_named(const config::Config& config, const std::string& name) {
  for (const config::Trunk& trunk : config.trunks) {
    if (trunk.name == name) return &trunk;
  }
  return nullptr;
}

std::vector<const config::Rule*> trunk_rules(const config::Config& config) {
  std::vector<const config::Rule*> out;
  for (const config::Rule& rule : config.dialplan.rules) {
    if (rule.action == config::RuleAction::kTrunk) out.push_back(&rule);
  }
  return out;
}

std::vector<Finding> sip_4(const config::Config& config) {
  std::vector<Finding> out;
  out.push_back(finding("SIP-4", "legs kept apart", Status::kPass,
                        "built in: every call is two dialogs (the B2BUA, src/call): Call-ID, "
                        "tags, Via, Contact and CSeq of each leg are Hardline's own; only "
                        "whitelisted headers cross; From, P-Asserted-Identity and "
                        "Remote-Party-ID never do"));
  std::vector<std::string> trunks;
  for (const config::Trunk& trunk : config.trunks) trunks.push_back(trunk_sources_text(trunk));
  out.push_back(finding(
      "SIP-4", "traffic to other networks", Status::kManual,
      config.trunks.empty()
          ? "no [[trunk]]: calls stay between local accounts; what else crosses between "
            "networks depends on the firewall and routers outside Hardline"
          : "other networks reached through " + join(trunks) +
                "; the SDP still carries the phones' media addresses (no media relay yet)",
      "put a session border controller or firewall between Hardline's networks and any other; "
      "accept trunk traffic only from the provider's addresses (trunk.sources and the "
      "firewall)"));
  return out;
}

Finding rt_1(const config::Config& config) {
  std::vector<std::string> trusted;
  for (const config::Trunk& trunk : config.trunks) {
    if (trunk.trusted) trusted.push_back(quoted(trunk.name));
  }
  std::string evidence =
      "built in: Max-Forwards is decremented on every leg (0 gets 483); calls.max_hops = " +
      std::to_string(config.calls.max_hops) +
      ": a call that has passed through Hardline more often gets 482 (X-Hardline-Hops, sent " +
      (trusted.empty() ? std::string("to no trunk: none is trusted")
                       : "only to the trusted trunk(s) " + join(trusted, ", ")) +
      "); calls.max_forks = " + std::to_string(config.calls.max_forks) + " contacts rung at once";
  // Calls from trunks sent out to an untrusted trunk: a loop between two servers is then
  // bounded by Max-Forwards alone, since the hop count is not sent there.
  std::vector<std::string> transit;
  for (const config::Rule* rule : trunk_rules(config)) {
    const config::Trunk* target = trunk_named(config, rule->trunk);
    if (admits_trunks(*rule) && (target == nullptr || !target->trusted)) {
      transit.push_back("rule " + quoted(rule->name) + " (" + rule->where.file + ":" +
                        std::to_string(rule->where.line) + ") sends calls from trunks out to " +
                        quoted(rule->trunk));
    }
  }
  if (!transit.empty()) {
    return finding("RT-1", "routing loops", Status::kWarn,
                   join(transit) +
                       ", which is not trusted: a call can bounce between it and Hardline "
                       "until Max-Forwards runs out; " +
                       evidence,
                   "admit only accounts (or only the trunks that need transit) in trunk "
                   "rules; set trusted = true on a trunk that is another Hardline of yours");
  }
  return finding("RT-1", "routing loops", Status::kPass, evidence);
}

Finding rt_2(const config::Config& config) {
  std::vector<std::string> open;
  for (const config::Rule& rule : config.dialplan.rules) {
    if (rule.action == config::RuleAction::kLocal && rule.callers.anonymous &&
        rule.sources.empty()) {
      open.push_back(quoted(rule.name) + " (" + rule.where.file + ":" +
                     std::to_string(rule.where.line) + ")");
    }
  }
  if (!open.empty()) {
    return finding("RT-2", "internal numbers for authenticated clients", Status::kWarn,
                   "rule(s) " + join(open, ", ") +
                       " let anonymous callers from any address reach local accounts",
                   "remove \"anonymous\" from those rules' callers, or restrict them with "
                   "sources = [\"office\"]");
  }
  return finding("RT-2", "internal numbers for authenticated clients", Status::kPass,
                 "unauthenticated INVITEs are challenged (407, the same for every number); no "
                 "dialplan rule lets anonymous callers from any address reach a local account");
}

Finding rt_3(const config::Config& config) {
  std::vector<std::string> categories;
  for (const config::SourceCategory& category : config.sources) {
    categories.push_back(category.name + " (" + networks_text(category.networks) + ")");
  }
  std::vector<std::string> users;
  for (const config::Rule& rule : config.dialplan.rules) {
    if (!rule.sources.empty()) users.push_back(quoted(rule.name));
  }
  std::vector<std::string> trunks;
  for (const config::Trunk& trunk : config.trunks) trunks.push_back(trunk_sources_text(trunk));
  const std::string trunk_text =
      trunks.empty() ? std::string() : "; trunks are recognised by address only: " + join(trunks);
  if (config.sources.empty()) {
    return finding("RT-3", "clients by source address", Status::kManual,
                   "no [sources] categories are defined, so no rule can tell callers apart by "
                   "address" +
                       trunk_text,
                   "name your networks under [sources] (office = [\"10.0.0.0/8\"]) and limit "
                   "rules to them with sources = [\"office\"] (docs/dialplan.md)");
  }
  return finding("RT-3", "clients by source address", Status::kPass,
                 "source categories " + join(categories) + "; used by rule(s) " +
                     (users.empty() ? std::string("none") : join(users, ", ")) + trunk_text);
}

// Issue 12: a bar on premium-rate numbers in national form must hold for every way of writing
// them; the analysis is routing/bar_forms.h, the normalisation routing/numbering.h.
Finding premium_forms(const config::Config& config,
                      const std::vector<const config::Rule*>& trunk_rules) {
  const std::string check = "premium numbers in every form";
  const config::Numbering& numbering = config.dialplan.numbering;
  const std::string normal =
      routing::normalises(numbering)
          ? "numbers are normalised to " + routing::describe_numbering(numbering) +
                " before any rule, so +" + numbering.country_code + "... and " +
                numbering.international_prefix + numbering.country_code +
                "... meet the same rules as their national form"
          : std::string("numbers are matched as dialled (dialplan.country_code is not set)");
  std::vector<std::string> found;
  for (const routing::BarWalkaround& walkaround : routing::find_bar_walkarounds(config)) {
    found.push_back(walkaround.trunk_rule->where.file + ":" +
                    std::to_string(walkaround.trunk_rule->where.line) + ": " +
                    walkaround.message());
  }
  if (!found.empty()) {
    return finding("RT-4", check, Status::kWarn, normal + "; " + join(found),
                   "set country_code (with national_prefix and international_prefix) under "
                   "[dialplan] in the file that holds the rules, so that every number is "
                   "normalised before the bar, and refuse service codes (*31#...) before trunk "
                   "rules; the example dialplan `hardline init` writes does both");
  }
  // Bars that refuse every caller of some trunk rule, before it.
  bool barred = false;
  for (const config::Rule* rule : trunk_rules) {
    for (const config::Rule& earlier : config.dialplan.rules) {
      if (&earlier == rule) break;
      barred = barred || (earlier.action == config::RuleAction::kReject &&
                          routing::admits_all(earlier, *rule));
    }
  }
  if (!barred) {
    return finding("RT-4", check, Status::kManual,
                   normal +
                       "; no reject rule comes before a trunk rule, so nothing bars "
                       "premium-rate numbers",
                   "unless your provider refuses premium-rate numbers for you, bar them with a "
                   "reject rule above the trunk rules (see the example dialplan)");
  }
  return finding("RT-4", check, Status::kPass,
                 normal +
                     "; no trunk rule takes a number that a bar before it refuses, written "
                     "internationally (+, 00 and a country code, with or without the "
                     "national prefix) or behind a service code (*31#...)");
}

std::vector<Finding> rt_4(const config::Config& config) {
  const std::vector<const config::Rule*> rules = trunk_rules(config);
  if (rules.empty()) {
    return {finding("RT-4", "who may use trunks", Status::kPass,
                    "no dialplan rule sends calls to a trunk, so no caller can run up a bill")};
  }
  std::vector<std::string> who;
  std::vector<std::string> open;
  std::vector<std::string> braked;
  std::vector<std::string> unbraked;
  for (const config::Rule* rule : rules) {
    const std::string name = "rule " + quoted(rule->name) + " to trunk " + quoted(rule->trunk);
    who.push_back(name + ": " + routing::describe_conditions(*rule));
    // The loader refuses these (config/rule_section.cc); a config built otherwise is judged too.
    const bool open_to_accounts = rule->callers.accounts && rule->groups.empty();
    if (rule->sources.empty() && (open_to_accounts || rule->callers.anonymous)) {
      open.push_back(name);
    }
    std::string limits =
        std::to_string(rule->max_concurrent) + " at once, " + std::to_string(rule->max_per_hour) +
        "/hour, " +
        (rule->max_duration == 0 ? "calls.max_duration " + std::to_string(config.calls.max_duration)
                                 : std::to_string(rule->max_duration)) +
        " s max";
    if (rule->max_concurrent == 0 || rule->max_per_hour == 0) {
      std::vector<std::string> missing;
      if (rule->max_concurrent == 0) missing.emplace_back("max_concurrent");
      if (rule->max_per_hour == 0) missing.emplace_back("max_per_hour");
      unbraked.push_back(quoted(rule->name) + " (" + rule->where.file + ":" +
                         std::to_string(rule->where.line) + ": " + join(missing, " and ") +
                         " = 0, no limit)");
    } else {
      braked.push_back(quoted(rule->name) + " (" + limits + ")");
    }
  }
  std::vector<Finding> out;
  if (!open.empty()) {
    out.push_back(finding("RT-4", "who may use trunks", Status::kFail,
                          join(open) + " admit(s) every account or anyone on the network",
                          "add groups = [\"dialout\"] and/or sources = [\"office\"] to each"));
  } else {
    out.push_back(finding("RT-4", "who may use trunks", Status::kPass,
                          "every trunk rule says who may use it (the config loader refuses one "
                          "that does not): " +
                              join(who)));
  }
  out.push_back(premium_forms(config, rules));
  if (!unbraked.empty()) {
    out.push_back(finding("RT-4", "toll-fraud brakes", Status::kWarn,
                          "trunk rule(s) without a brake: " + join(unbraked, ", "),
                          "remove the 0 (a trunk rule gets 2 at once and 20 an hour per caller "
                          "by default) or set a limit you can afford"));
  } else {
    out.push_back(
        finding("RT-4", "toll-fraud brakes", Status::kPass, "per caller: " + join(braked, ", ")));
  }
  return out;
}

std::vector<Finding> rt_5(const config::Config& config) {
  if (config.trunks.empty()) {
    return {finding("RT-5", "incoming caller ID", Status::kNotApplicable,
                    "no [[trunk]]: every call comes from an account, whose caller ID is its own "
                    "(RT-6)")};
  }
  const auto standard = routing::Language::parse(config::kDefaultCallerIdPattern);
  std::vector<Finding> out;
  for (const config::Trunk& trunk : config.trunks) {
    const std::string check = "incoming caller ID (trunk " + trunk.name + ")";
    const std::string action = trunk.caller_id_mismatch == config::CallerIdMismatch::kReject
                                   ? "the call is refused"
                                   : "it is shown as Anonymous";
    std::string internal = "shown as Anonymous";
    if (trunk.caller_id_internal == config::InternalCallerId::kReject) internal = "refused";
    if (trunk.caller_id_internal == config::InternalCallerId::kPrefix) {
      internal = "shown behind " + quoted(trunk.caller_id_prefix);
    }
    // Issue 12: nobody outside passes for a colleague (caller_id_internal, caller_name_prefix).
    const std::string label =
        trunk.caller_name_prefix.empty() ? trunk.name + ": " : trunk.caller_name_prefix;
    std::string policy = "trunk " + quoted(trunk.name);
    policy += ": a caller ID is kept only when the whole of it matches ";
    policy += trunk.caller_id_pattern;
    policy += ", otherwise ";
    policy += action;
    policy += "; a caller ID in the shape of an internal number is ";
    policy += internal;
    policy += "; display names are shown behind ";
    policy += quoted(label);
    if (trunk.caller_id_pattern == config::kDefaultCallerIdPattern) {
      out.push_back(finding("RT-5", check, Status::kPass, policy));
      continue;
    }
    const auto custom = routing::Language::parse(trunk.caller_id_pattern);
    std::optional<bool> narrower;
    if (custom && standard) {
      const routing::Language* of[] = {&*standard};
      narrower = routing::is_subset(*custom, of);
    }
    const std::string fix =
        "narrow trunk.caller_id_pattern to digits, A-D and a leading '+' "
        "(the default '^\\+?[0-9A-D]{1,32}$'), or set caller_id_mismatch";
    if (narrower == true) {
      out.push_back(
          finding("RT-5", check, Status::kPass, policy + " (admits only what the default admits)"));
    } else if (narrower == false) {
      out.push_back(finding("RT-5", check, Status::kWarn,
                            policy + ": it admits caller IDs beyond digits, A-D and '+'", fix));
    } else {
      out.push_back(finding("RT-5", check, Status::kWarn,
                            policy + ": whether it admits more than digits, A-D and '+' cannot "
                                     "be decided for this pattern",
                            fix));
    }
  }
  return out;
}

Finding rt_7(const config::Config& config) {
  const size_t rules = config.dialplan.rules.size();
  return finding(
      "RT-7", "dialplan documented", Status::kManual,
      rules == 0 ? std::string("no dialplan rules: authenticated accounts reach local accounts, "
                               "everything else is refused (docs/dialplan.md)")
                 : std::to_string(rules) +
                       " dialplan rule(s); `hardline dialplan explain NUMBER` shows any decision "
                       "and `hardline dialplan graph` draws them",
      "keep `hardline dialplan graph --format table` (or mermaid, dot) with your notes and "
      "update it with every change");
}

Finding rt_8(const config::Config& config) {
  const std::string fix = "run `hardline dialplan check -c " + config.file.string() +
                          "` and fix each line it reports; keep a `hardline dialplan test` "
                          "file of numbers that must and must not match";
  const std::string counts = std::to_string(config.dialplan.rules.size()) + " rule(s), " +
                             std::to_string(config.trunks.size()) + " trunk(s), " +
                             std::to_string(config.sources.size()) + " source categories";
  auto compiled = routing::Dialplan::compile(config);
  if (!compiled) {
    return finding("RT-8", "dialplan check", Status::kFail, compiled.error(), fix);
  }
  // The accounts' groups are not read: the audit does not open the database (`hardline dialplan
  // check` does, and also warns about groups no account is in).
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  size_t notes = 0;
  for (const routing::Finding& item : routing::check_dialplan(config, std::nullopt)) {
    switch (item.severity) {
      case routing::Severity::kError:
        errors.push_back(item.to_string());
        break;
      case routing::Severity::kWarning:
        warnings.push_back(item.to_string());
        break;
      case routing::Severity::kNote:
        ++notes;
        break;
    }
  }
  const std::string summary = counts + ": " + std::to_string(errors.size()) + " error(s), " +
                              std::to_string(warnings.size()) + " warning(s)";
  if (!errors.empty()) {
    std::vector<std::string> all = errors;
    all.insert(all.end(), warnings.begin(), warnings.end());
    return finding("RT-8", "dialplan check", Status::kFail, summary + ": " + join(all), fix);
  }
  if (!warnings.empty()) {
    return finding("RT-8", "dialplan check", Status::kWarn, summary + ": " + join(warnings), fix);
  }
  return finding("RT-8", "dialplan check", Status::kPass,
                 summary +
                     (notes == 0 ? std::string()
                                 : " (" + std::to_string(notes) +
                                       " pattern(s) beyond what the analysis decides)") +
                     "; groups not checked (the audit does not open the database)");
}

}  // namespace

std::vector<Finding> routing_rules(const config::Config& config) {
  std::vector<Finding> out = sip_4(config);
  out.push_back(rt_1(config));
  out.push_back(rt_2(config));
  out.push_back(rt_3(config));
  for (auto&& part : {rt_4(config), rt_5(config)}) out.insert(out.end(), part.begin(), part.end());
  out.push_back(finding("RT-6", "caller ID from the account", Status::kPass,
                        "built in: a call from an account shows the account's own number and "
                        "display name, whatever its From says; the caller's From, "
                        "P-Asserted-Identity and Remote-Party-ID never cross"));
  out.push_back(rt_7(config));
  out.push_back(rt_8(config));
  return out;
}

}  // namespace hardline::audit
