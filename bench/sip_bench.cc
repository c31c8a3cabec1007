// Parsing and serializing typical messages: messages per second and ns per message.
// Run with `make bench`; README.md keeps the latest figures.

#include <benchmark/benchmark.h>

#include <string>

#include "sip/parser.h"
#include "sip/serializer.h"
#include "support/sip_messages.h"

using namespace hardline::sip;

namespace {

// Parses with every typed header checked (Via, From, To, CSeq, Call-ID, Contact, ...), the
// same work the server does for each datagram.
void parse(benchmark::State& state, const std::string& bytes) {
  for (auto _ : state) {
    auto m = parse_datagram(bytes);
    benchmark::DoNotOptimize(m);
    if (!m) state.SkipWithError("message did not parse");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}

void serialize_unchanged(benchmark::State& state, const std::string& bytes) {
  auto m = parse_datagram(bytes);
  if (!m) {
    state.SkipWithError("message did not parse");
    return;
  }
  std::string out;
  for (auto _ : state) {
    out.clear();
    serialize(*m, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

const std::string kRegister = hardline::test::typical_register();
const std::string kInvite = hardline::test::typical_invite();

void BM_ParseRegister(benchmark::State& state) {
  parse(state, kRegister);
}
void BM_ParseInvite(benchmark::State& state) {
  parse(state, kInvite);
}
void BM_SerializeRegister(benchmark::State& state) {
  serialize_unchanged(state, kRegister);
}
void BM_SerializeInvite(benchmark::State& state) {
  serialize_unchanged(state, kInvite);
}

void BM_FrameStreamInvite(benchmark::State& state) {
  for (auto _ : state) {
    auto frame = frame_stream(kInvite);
    benchmark::DoNotOptimize(frame);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_ParseRegister);
BENCHMARK(BM_ParseInvite);
BENCHMARK(BM_SerializeRegister);
BENCHMARK(BM_SerializeInvite);
BENCHMARK(BM_FrameStreamInvite);
