#include "registrar/registrar.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "sip/parser.h"
#include "store/sqlite_store.h"
#include "support/sip_messages.h"

namespace hardline::registrar {
namespace {

namespace fs = std::filesystem;

// A REGISTER for 201 with the given Contact and Expires lines.
std::string register_request(std::initializer_list<std::string_view> extra, uint32_t cseq = 1,
                             std::string_view call_id = "reg-1@192.0.2.10") {
  std::string out =
      "REGISTER sip:example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1\r\n"
      "From: <sip:201@example.com>;tag=1\r\n"
      "To: <sip:201@example.com>\r\n";
  out += "Call-ID: " + std::string(call_id) + "\r\n";
  out += "CSeq: " + std::to_string(cseq) + " REGISTER\r\n";
  for (std::string_view line : extra) out.append(line).append("\r\n");
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

// The real store, except that writing bindings fails while `failing` (a full disk).
class FailingStore final : public store::Store {
 public:
  explicit FailingStore(store::Store& real) : real_(real) {}
  bool failing = false;
  int batches = 0;       // replace_bindings_batch calls
  size_t last_sets = 0;  // AORs in the last one

  Result<void> add_account(const store::Account& a) override { return real_.add_account(a); }
  Result<std::optional<store::Account>> find_account(std::string_view e) override {
    return real_.find_account(e);
  }
  Result<std::vector<store::Account>> list_accounts() override { return real_.list_accounts(); }
  Result<bool> remove_account(std::string_view e) override { return real_.remove_account(e); }
  Result<bool> set_groups(std::string_view e, const std::vector<std::string>& g) override {
    return real_.set_groups(e, g);
  }
  Result<bool> set_credentials(std::string_view e, std::string_view a,
                               std::string_view b) override {
    return real_.set_credentials(e, a, b);
  }
  Result<bool> set_digest(std::string_view e, std::string_view d, bool drop,
                          std::optional<std::string_view> only_if) override {
    return real_.set_digest(e, d, drop, only_if);
  }
  Result<std::vector<store::Binding>> load_bindings() override { return real_.load_bindings(); }
  Result<void> replace_bindings(std::string_view aor,
                                const std::vector<store::Binding>& b) override {
    return real_.replace_bindings(aor, b);
  }
  Result<void> replace_bindings_batch(
      const std::vector<std::pair<std::string, std::vector<store::Binding>>>& sets) override {
    ++batches;
    last_sets = sets.size();
    if (failing) return tl::unexpected(store::sqlite_error(13));  // SQLITE_FULL
    return real_.replace_bindings_batch(sets);
  }
  Result<size_t> purge_expired_bindings(int64_t now) override {
    return real_.purge_expired_bindings(now);
  }
  Result<size_t> count_accounts() override { return real_.count_accounts(); }
  Result<void> put_ban(const store::Ban& b) override { return real_.put_ban(b); }
  Result<void> put_bans_batch(const std::vector<store::Ban>& b) override {
    return real_.put_bans_batch(b);
  }
  Result<bool> remove_ban(std::string_view n) override { return real_.remove_ban(n); }
  Result<std::vector<store::Ban>> list_bans() override { return real_.list_bans(); }
  Result<void> put_admission(const store::Admission& a) override { return real_.put_admission(a); }
  Result<std::vector<store::Admission>> list_admissions(int64_t now) override {
    return real_.list_admissions(now);
  }
  Result<size_t> purge_expired_bans(int64_t now) override { return real_.purge_expired_bans(now); }
  Result<uint64_t> data_version() override { return real_.data_version(); }

 private:
  store::Store& real_;
};

class RegistrarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hardline-registrar-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto store = store::open_sqlite(dir_ / "hardline.db", store::OpenMode::kCreate);
    ASSERT_TRUE(store);
    store_ = std::move(*store);
    store::Account account;
    account.extension = "201";
    ASSERT_TRUE(store_->add_account(account));
    registrar_ = std::make_unique<Registrar>(clock_, *store_, Settings{});
  }
  void TearDown() override {
    registrar_.reset();
    store_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  Reply apply(const std::string& bytes) {
    auto request = sip::parse_datagram(bytes);
    EXPECT_TRUE(request) << (request ? "" : request.error().reason);
    if (!request) return {};
    return registrar_->apply(*request, "201", source_);
  }

  static std::vector<std::string> contacts(const Reply& reply) {
    std::vector<std::string> out;
    for (const auto& [name, value] : reply.headers) {
      if (name == "Contact") out.push_back(value);
    }
    return out;
  }

  fs::path dir_;
  ManualClock clock_;
  Endpoint source_ = *parse_endpoint_spec("udp:192.0.2.10:5060");
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Registrar> registrar_;
};

TEST_F(RegistrarTest, ExpiresClampedAndTooBriefRefused) {
  struct Case {
    std::vector<std::string> lines;
    uint16_t status;
    const char* contact;  // the expected Contact header, or "" for none
  };
  const Case cases[] = {
      {{"Contact: <sip:201@192.0.2.10>", "Expires: 600"}, 200, "<sip:201@192.0.2.10>;expires=600"},
      // The contact's own expires wins over the header.
      {{"Contact: <sip:201@192.0.2.10>;expires=120", "Expires: 600"},
       200,
       "<sip:201@192.0.2.10>;expires=120"},
      // Above the maximum: lowered to it. None given: the maximum.
      {{"Contact: <sip:201@192.0.2.10>;expires=999999"}, 200, "<sip:201@192.0.2.10>;expires=3600"},
      {{"Contact: <sip:201@192.0.2.10>"}, 200, "<sip:201@192.0.2.10>;expires=3600"},
      // Exactly the minimum is fine; one second below is 423.
      {{"Contact: <sip:201@192.0.2.10>", "Expires: 60"}, 200, "<sip:201@192.0.2.10>;expires=60"},
      {{"Contact: <sip:201@192.0.2.10>", "Expires: 59"}, 423, ""},
      {{"Contact: <sip:201@192.0.2.10>;expires=1"}, 423, ""},
      // A tel: contact or "*" with a non-zero Expires is refused.
      {{"Contact: <tel:+15551234>"}, 400, ""},
      {{"Contact: *", "Expires: 10"}, 400, ""},
  };
  uint32_t cseq = 1;
  for (const Case& c : cases) {
    std::string bytes;
    switch (c.lines.size()) {
      case 1:
        bytes = register_request({c.lines[0]}, cseq++);
        break;
      default:
        bytes = register_request({c.lines[0], c.lines[1]}, cseq++);
        break;
    }
    const Reply reply = apply(bytes);
    EXPECT_EQ(reply.status, c.status) << c.lines[0];
    if (c.status == 423) {
      ASSERT_EQ(reply.headers.size(), 1u);
      EXPECT_EQ(reply.headers[0].first, "Min-Expires");
      EXPECT_EQ(reply.headers[0].second, "60");
    }
    if (*c.contact) {
      ASSERT_EQ(contacts(reply).size(), 1u) << c.lines[0];
      EXPECT_EQ(contacts(reply)[0], c.contact);
    }
  }
}

TEST_F(RegistrarTest, OldestContactReplacedPastTheLimit) {
  for (int i = 0; i < 7; ++i) {
    const std::string contact = "Contact: <sip:201@192.0.2." + std::to_string(10 + i) + ">";
    const Reply reply = apply(register_request({contact}, i + 1, "c" + std::to_string(i)));
    ASSERT_EQ(reply.status, 200);
    clock_.advance(Millis(1000));
  }
  EXPECT_EQ(registrar_->binding_count(), 5u);
  EXPECT_EQ(registrar_->counters().replaced_oldest, 2u);
  const auto bindings = registrar_->lookup("201");
  ASSERT_EQ(bindings.size(), 5u);
  for (const auto& binding : bindings) {
    EXPECT_NE(binding.contact, "sip:201@192.0.2.10");
    EXPECT_NE(binding.contact, "sip:201@192.0.2.11");
  }
  // A refresh of an existing contact takes no room.
  const Reply refresh = apply(register_request({"Contact: <sip:201@192.0.2.16>"}, 99, "c6"));
  EXPECT_EQ(contacts(refresh).size(), 5u);
  EXPECT_EQ(registrar_->counters().replaced_oldest, 2u);
}

TEST_F(RegistrarTest, StarRemovesAllAndOutOfOrderCSeqRefused) {
  ASSERT_EQ(apply(register_request({"Contact: <sip:201@192.0.2.10>"}, 5)).status, 200);
  // The same Call-ID with a CSeq not above the binding's: refused, nothing changes.
  EXPECT_EQ(apply(register_request({"Contact: <sip:201@192.0.2.10>;expires=0"}, 5)).status, 400);
  EXPECT_EQ(registrar_->binding_count(), 1u);
  ASSERT_EQ(apply(register_request({"Contact: <sip:201@192.0.2.20>"}, 1, "other")).status, 200);
  EXPECT_EQ(registrar_->binding_count(), 2u);
  const Reply removed = apply(register_request({"Contact: *", "Expires: 0"}, 6));
  EXPECT_EQ(removed.status, 200);
  EXPECT_TRUE(contacts(removed).empty());
  EXPECT_EQ(registrar_->binding_count(), 0u);
}

TEST_F(RegistrarTest, SameInstanceReplacesTheBinding) {
  const std::string instance = ";+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000000000001>\"";
  ASSERT_EQ(apply(register_request({"Contact: <sip:201@192.0.2.10:5060>" + instance}, 1)).status,
            200);
  // The phone moved to a new address: the same instance, a new contact URI.
  ASSERT_EQ(apply(register_request({"Contact: <sip:201@192.0.2.99:5062>" + instance}, 2)).status,
            200);
  const auto bindings = registrar_->lookup("201");
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0].contact, "sip:201@192.0.2.99:5062");
}

TEST_F(RegistrarTest, BindingsExpireAndSurviveARestart) {
  ASSERT_EQ(apply(register_request({"Contact: <sip:201@192.0.2.10>", "Expires: 60"}, 1)).status,
            200);
  ASSERT_EQ(
      apply(register_request({"Contact: <sip:201@192.0.2.11>", "Expires: 3600"}, 1, "b")).status,
      200);
  ASSERT_TRUE(registrar_->dirty());
  ASSERT_TRUE(registrar_->flush());
  EXPECT_FALSE(registrar_->dirty());

  // A new registrar on the same store, 61 s later: the short binding is gone.
  clock_.advance(Millis(61'000));
  Registrar restarted(clock_, *store_, Settings{});
  auto loaded = restarted.load();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(*loaded, 1u);
  const auto bindings = restarted.lookup("201");
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0].contact, "sip:201@192.0.2.11");
  EXPECT_EQ(bindings[0].source, "udp:192.0.2.10:5060");

  // And the purge drops it from memory once it expires too.
  clock_.advance(Millis(3600'000));
  EXPECT_EQ(restarted.purge_expired(), 1u);
  EXPECT_EQ(restarted.binding_count(), 0u);
  ASSERT_TRUE(restarted.flush());
  auto stored = store_->load_bindings();
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->empty());
}

TEST_F(RegistrarTest, QueryWithoutContactChangesNothing) {
  ASSERT_EQ(apply(register_request({"Contact: <sip:201@192.0.2.10>"}, 1)).status, 200);
  ASSERT_TRUE(registrar_->flush());
  const Reply query = apply(register_request({}, 2));
  EXPECT_EQ(query.status, 200);
  EXPECT_EQ(contacts(query).size(), 1u);
  EXPECT_FALSE(registrar_->dirty());
}

// Issue 13, item 12: registrations answered 500 (the store could not write) stayed live in
// memory and were written later, each retry rewriting the whole backlog.
TEST_F(RegistrarTest, AFailedFlushPutsBackWhatTheStoreHolds) {
  FailingStore failing(*store_);
  Registrar registrar(clock_, failing, Settings{});
  auto apply_to = [&](const std::string& bytes) {
    auto request = sip::parse_datagram(bytes);
    EXPECT_TRUE(request);
    return registrar.apply(*request, "201", source_);
  };
  ASSERT_EQ(apply_to(register_request({"Contact: <sip:201@192.0.2.10>", "Expires: 600"}, 1)).status,
            200);
  ASSERT_TRUE(registrar.flush());

  // The disk fills: a refresh with a new expiry and a second phone, both refused.
  failing.failing = true;
  clock_.advance(Millis(10'000));
  ASSERT_EQ(
      apply_to(register_request({"Contact: <sip:201@192.0.2.10>", "Expires: 3600"}, 2)).status,
      200);
  ASSERT_EQ(apply_to(register_request({"Contact: <sip:201@192.0.2.11>"}, 1, "phone-2")).status,
            200);
  EXPECT_EQ(registrar.binding_count(), 2u);
  EXPECT_FALSE(registrar.flush());
  EXPECT_FALSE(registrar.dirty()) << "nothing is kept to be written later";
  EXPECT_EQ(registrar.binding_count(), 1u);
  auto bindings = registrar.lookup("201");
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0].contact, "sip:201@192.0.2.10");
  EXPECT_EQ(bindings[0].cseq, 1u);  // the stored refresh, not the refused one
  EXPECT_EQ(registrar.counters().rolled_back, 1u);

  // Removing every binding, refused: they come back too.
  ASSERT_EQ(apply_to(register_request({"Contact: *", "Expires: 0"}, 3)).status, 200);
  EXPECT_EQ(registrar.binding_count(), 0u);
  EXPECT_FALSE(registrar.flush());
  EXPECT_EQ(registrar.binding_count(), 1u);

  // The store recovers: nothing refused is written; the next REGISTER writes only itself.
  failing.failing = false;
  const int batches = failing.batches;
  ASSERT_TRUE(registrar.flush());
  EXPECT_EQ(failing.batches, batches) << "nothing was left to write";
  ASSERT_EQ(apply_to(register_request({"Contact: <sip:201@192.0.2.12>"}, 1, "phone-3")).status,
            200);
  ASSERT_TRUE(registrar.flush());
  EXPECT_EQ(failing.last_sets, 1u);
  auto stored = store_->load_bindings();
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].contact, "sip:201@192.0.2.10");
  EXPECT_EQ((*stored)[0].cseq, 1u);
  EXPECT_EQ((*stored)[1].contact, "sip:201@192.0.2.12");
}

TEST_F(RegistrarTest, DiscardedChangesAreNeitherKeptNorWritten) {
  ASSERT_EQ(apply(register_request({"Contact: <sip:201@192.0.2.10>"}, 1)).status, 200);
  ASSERT_TRUE(registrar_->flush());
  ASSERT_EQ(apply(register_request({"Contact: <sip:201@192.0.2.11>"}, 1, "phone-2")).status, 200);
  EXPECT_EQ(registrar_->binding_count(), 2u);
  registrar_->discard_changes();
  EXPECT_FALSE(registrar_->dirty());
  EXPECT_EQ(registrar_->binding_count(), 1u);
  ASSERT_EQ(registrar_->lookup("201").size(), 1u);
  EXPECT_EQ(registrar_->lookup("201")[0].contact, "sip:201@192.0.2.10");
}

TEST_F(RegistrarTest, AFailedFlushAfterAPurgeKeepsTheBindingsForTheNextPurge) {
  FailingStore failing(*store_);
  Registrar registrar(clock_, failing, Settings{});
  const std::string bytes = register_request({"Contact: <sip:201@192.0.2.10>", "Expires: 60"}, 1);
  auto request = sip::parse_datagram(bytes);
  ASSERT_TRUE(request);
  ASSERT_EQ(registrar.apply(*request, "201", source_).status, 200);
  ASSERT_TRUE(registrar.flush());
  clock_.advance(Millis(61'000));
  failing.failing = true;
  EXPECT_EQ(registrar.purge_expired(), 1u);
  EXPECT_FALSE(registrar.flush());
  EXPECT_TRUE(registrar.lookup("201").empty());  // expired all the same
  failing.failing = false;
  EXPECT_EQ(registrar.purge_expired(), 1u);  // purged again, and this time written
  ASSERT_TRUE(registrar.flush());
  auto stored = store_->load_bindings();
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->empty());
}

}  // namespace
}  // namespace hardline::registrar
