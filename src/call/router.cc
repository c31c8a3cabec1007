#include "call/router.h"

namespace hardline::call {

RouteDecision LocalRouter::route(const RouteRequest& request) {
  RouteDecision decision;
  decision.kind = RouteDecision::Kind::kReject;
  if (!request.caller) {
    decision.status = 403;
    return decision;
  }
  auto exists = exists_(request.dialled);
  if (!exists) {
    decision.status = 500;
    return decision;
  }
  if (!*exists) {
    decision.status = 404;
    return decision;
  }
  decision.kind = RouteDecision::Kind::kLocal;
  decision.account = std::string(request.dialled);
  return decision;
}

}  // namespace hardline::call
