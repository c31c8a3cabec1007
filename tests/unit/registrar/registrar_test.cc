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

}  // namespace
}  // namespace hardline::registrar
