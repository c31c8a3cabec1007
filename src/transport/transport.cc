#include "transport/transport.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "transport/asio_address.h"
#include "transport/connection_slots.h"

namespace hardline::transport {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

constexpr size_t kReadChunk = size_t{16} * 1024;
constexpr size_t kBatch = 16;       // datagrams per recvmmsg(2) call
constexpr int kBatchesPerTurn = 4;  // at most 64 datagrams per turn of the event loop
constexpr size_t kSendBatch = 32;   // datagrams per sendmmsg(2) call
// How long a send waits for room in a full socket buffer before the datagram counts as failed.
constexpr int kSendWaitMs = 100;

// The sender of a datagram, as recvmmsg(2) wrote it.
std::optional<std::pair<IpAddress, uint16_t>> from_sockaddr(const sockaddr_storage& storage) {
  IpAddress address;
  if (storage.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(storage);
    std::memcpy(address.bytes.data(), &in.sin_addr, 4);
    return std::pair{address, ntohs(in.sin_port)};
  }
  if (storage.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(storage);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&in6.sin6_addr);
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
      std::memcpy(address.bytes.data(), bytes + 12, 4);
    } else {
      std::memcpy(address.bytes.data(), bytes, 16);
      address.v6 = true;
    }
    return std::pair{address, ntohs(in6.sin6_port)};
  }
  return std::nullopt;
}

// Room for one IP_PKTINFO or IPV6_PKTINFO control message, the larger of the two.
constexpr size_t kControlSize = CMSG_SPACE(sizeof(in6_pktinfo));

// A control-message buffer: CMSG_FIRSTHDR hands out its start as a cmsghdr, so it carries that
// alignment (a bare char array inside a struct may start anywhere).
struct alignas(cmsghdr) ControlBuffer {
  std::array<char, kControlSize> bytes{};
  char* data() { return bytes.data(); }
};

// The destination address of a datagram, from its IP_PKTINFO or IPV6_PKTINFO control message
// (asked for on wildcard sockets only); unspecified when there is none.
IpAddress destination_of(const msghdr& header) {
  IpAddress out;
  for (const cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&header), const_cast<cmsghdr*>(c))) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      std::memcpy(out.bytes.data(), &info.ipi_addr, 4);
      return out;
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      std::memcpy(out.bytes.data(), &info.ipi6_addr, 16);
      out.v6 = true;
      return out;
    }
  }
  return out;
}

// Writes the control message that makes a datagram leave from `source` (one of this host's
// addresses, of the socket's family); its length.
size_t source_control(const IpAddress& source, char* control) {
  std::memset(control, 0, kControlSize);
  msghdr header{};
  header.msg_control = control;
  header.msg_controllen = kControlSize;
  cmsghdr* c = CMSG_FIRSTHDR(&header);
  if (!source.v6) {
    in_pktinfo info{};
    std::memcpy(&info.ipi_spec_dst, source.bytes.data(), 4);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(info));
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    return CMSG_SPACE(sizeof(info));
  }
  in6_pktinfo info{};
  std::memcpy(&info.ipi6_addr, source.bytes.data(), 16);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(info));
  std::memcpy(CMSG_DATA(c), &info, sizeof(info));
  return CMSG_SPACE(sizeof(info));
}

}  // namespace

// One UDP socket with room for kBatch datagrams, read with one recvmmsg(2) call.
struct UdpListener {
  explicit UdpListener(asio::io_context& io) : socket(io) {}
  udp::socket socket;
  size_t slot_size = 0;  // max_message_size + 1: a longer datagram shows as too large
  std::vector<char> buffers;
  std::array<mmsghdr, kBatch> headers{};
  std::array<iovec, kBatch> iovecs{};
  std::array<sockaddr_storage, kBatch> senders{};
  // Bound to 0.0.0.0 or ::: each datagram's destination is read (IP_PKTINFO), and answers
  // leave from the address the peer wrote to.
  bool wildcard = false;
  std::array<ControlBuffer, kBatch> controls{};
  Endpoint local;
  uint64_t id = 0;
  // Datagrams waiting to go out with one sendmmsg(2): their bytes one after another in `out`.
  std::string out;
  std::array<size_t, kSendBatch> out_sizes{};
  std::array<sockaddr_storage, kSendBatch> out_to{};
  std::array<socklen_t, kSendBatch> out_to_size{};
  std::array<ControlBuffer, kSendBatch> out_control{};
  std::array<size_t, kSendBatch> out_control_size{};
  size_t out_count = 0;
};

// The sockaddr for a destination; its size, or 0 when the family does not fit the socket.
socklen_t to_sockaddr(const Endpoint& to, sockaddr_storage& storage) {
  storage = {};
  if (!to.address.v6) {
    auto& in = reinterpret_cast<sockaddr_in&>(storage);
    in.sin_family = AF_INET;
    in.sin_port = htons(to.port);
    std::memcpy(&in.sin_addr, to.address.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto& in6 = reinterpret_cast<sockaddr_in6&>(storage);
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(to.port);
  std::memcpy(&in6.sin6_addr, to.address.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

// Why accept(2) failed, when it is for lack of a resource that takes time to come back (a
// descriptor, kernel memory): trying again at once would only spin. Null for any other error
// (a connection reset before it was accepted), which concerns that connection only.
const char* resource_shortage(const boost::system::error_code& ec) {
  if (ec.category() != boost::system::system_category()) return nullptr;
  switch (ec.value()) {
    case EMFILE:
      return "too many open files in this process (EMFILE)";
    case ENFILE:
      return "too many open files in the system (ENFILE)";
    case ENOBUFS:
      return "no buffer space (ENOBUFS)";
    case ENOMEM:
      return "out of memory (ENOMEM)";
    default:
      return nullptr;
  }
}

struct TcpListener {
  explicit TcpListener(asio::io_context& io) : acceptor(io), backoff(io) {}
  tcp::acceptor acceptor;
  Endpoint local;
  // Accept failing for lack of a resource: the wait before the next try, and the episode.
  asio::steady_timer backoff;
  Millis wait{0};        // 0: no episode
  bool waiting = false;  // the backoff timer is pending (no accept in flight)
  uint64_t failures = 0;
  const char* reason = "";
  SteadyTime first_failure{};
  SteadyTime last_failure{};
};

struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  Endpoint peer;
  Network group;       // as admitted: the slot to give back
  bool known = false;  // holds a slot a stranger could not have had
  std::string input;
  std::array<char, kReadChunk> chunk{};
  std::deque<std::string> output;
  size_t queued = 0;
  bool writing = false;
  bool closing = false;  // close once the output is written
  bool closed = false;
  SteadyTime last_activity;
  // When the message now arriving began (its first byte, or the accept for the first message);
  // empty between messages.
  std::optional<SteadyTime> message_started;
};

struct Transports::State {
  State(asio::io_context& i, const Clock& c, Limits l, Receiver& r)
      : io(i),
        clock(c),
        limits(l),
        receiver(r),
        slots(SlotLimits{l.max_connections, l.reserved_connections, l.max_connections_per_source}) {
  }
  asio::io_context& io;
  const Clock& clock;
  Limits limits;
  Receiver& receiver;
  Counters counters;
  bool stopped = false;
  std::vector<std::unique_ptr<UdpListener>> udp;
  std::vector<std::unique_ptr<TcpListener>> tcp;
  std::vector<Endpoint> locals;
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections;
  ConnectionSlots slots;
  uint64_t next_connection = 1;
  bool flush_posted = false;
  std::shared_ptr<char> alive = std::make_shared<char>();  // posted handlers check it

  // Waits until the socket is readable, then reads what is waiting in batches, so that a
  // burst is handled in one turn of the loop (and its bindings written in one transaction).
  void receive(UdpListener& listener) {
    listener.socket.async_wait(udp::socket::wait_read,
                               [this, &listener](const boost::system::error_code& ec) {
                                 if (stopped || ec == asio::error::operation_aborted) return;
                                 drain(listener);
                                 flush_sends();
                                 if (!stopped) receive(listener);
                               });
  }

  void drain(UdpListener& listener) {
    for (int round = 0; round < kBatchesPerTurn && !stopped; ++round) {
      for (size_t i = 0; i < kBatch; ++i) {
        listener.iovecs[i] = {listener.buffers.data() + i * listener.slot_size, listener.slot_size};
        msghdr& header = listener.headers[i].msg_hdr;
        header = {};
        header.msg_name = &listener.senders[i];
        header.msg_namelen = sizeof(sockaddr_storage);
        header.msg_iov = &listener.iovecs[i];
        header.msg_iovlen = 1;
        if (listener.wildcard) {
          header.msg_control = listener.controls[i].data();
          header.msg_controllen = kControlSize;
        }
      }
      const int received = ::recvmmsg(listener.socket.native_handle(), listener.headers.data(),
                                      kBatch, MSG_DONTWAIT, nullptr);
      if (received <= 0) return;  // EAGAIN: nothing more waiting (or an error to ignore)
      for (int i = 0; i < received && !stopped; ++i) {
        const auto index = static_cast<size_t>(i);
        deliver(listener, listener.buffers.data() + index * listener.slot_size,
                listener.headers[index].msg_len, listener.senders[index],
                listener.wildcard ? destination_of(listener.headers[index].msg_hdr) : IpAddress{});
      }
      if (static_cast<size_t>(received) < kBatch) return;
    }
  }

  void deliver(UdpListener& listener, const char* data, size_t size, const sockaddr_storage& sender,
               const IpAddress& destination) {
    ++counters.datagrams_received;
    if (size > limits.max_message_size) {
      ++counters.datagrams_too_large;
      return;
    }
    const auto from = from_sockaddr(sender);
    if (!from) return;
    const Endpoint source{Protocol::kUdp, from->first, from->second, listener.id, destination};
    receiver.on_message(std::string_view(data, size), source, sip::Framing::kDatagram);
  }

  // UDP sends wait in their socket's batch until the turn that made them ends (after the
  // datagrams of a receive turn, or a posted handler for sends made elsewhere), so that a turn's
  // answers leave in one system call.
  void queue_udp(UdpListener& from, const Endpoint& to, std::string_view bytes) {
    if (from.out_count == kSendBatch) flush(from);
    const size_t i = from.out_count++;
    from.out_to_size[i] = to_sockaddr(to, from.out_to[i]);
    const bool chosen_source =
        from.wildcard && !is_unspecified(to.local) && to.local.v6 == from.local.address.v6;
    from.out_control_size[i] =
        chosen_source ? source_control(to.local, from.out_control[i].data()) : 0;
    from.out_sizes[i] = bytes.size();
    from.out.append(bytes);
    if (!flush_posted) {
      flush_posted = true;
      asio::post(io, [this, alive = std::weak_ptr<char>(alive)] {
        if (alive.expired()) return;
        flush_sends();
      });
    }
  }

  void flush_sends() {
    flush_posted = false;
    for (auto& listener : udp) flush(*listener);
  }

  void flush(UdpListener& from) {
    std::array<mmsghdr, kSendBatch> headers{};
    std::array<iovec, kSendBatch> iovecs{};
    size_t offset = 0;
    for (size_t i = 0; i < from.out_count; ++i) {
      iovecs[i] = {from.out.data() + offset, from.out_sizes[i]};
      offset += from.out_sizes[i];
      msghdr& header = headers[i].msg_hdr;
      header.msg_name = &from.out_to[i];
      header.msg_namelen = from.out_to_size[i];
      header.msg_iov = &iovecs[i];
      header.msg_iovlen = 1;
      if (from.out_control_size[i] > 0) {
        header.msg_control = from.out_control[i].data();
        header.msg_controllen = from.out_control_size[i];
      }
    }
    size_t done = 0;
    bool waited = false;
    while (done < from.out_count) {
      const int sent = ::sendmmsg(from.socket.native_handle(), headers.data() + done,
                                  static_cast<unsigned>(from.out_count - done), MSG_DONTWAIT);
      if (sent > 0) {
        done += static_cast<size_t>(sent);
        counters.sent += static_cast<uint64_t>(sent);
        waited = false;
        continue;
      }
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && !waited) {
        // The socket buffer is full: wait briefly for room, once per datagram.
        pollfd ready{from.socket.native_handle(), POLLOUT, 0};
        ::poll(&ready, 1, kSendWaitMs);
        waited = true;
        continue;
      }
      if (errno == EINTR) continue;
      ++counters.send_failures;  // this datagram is refused (or never had room): skip it
      ++done;
      waited = false;
    }
    from.out.clear();
    from.out_count = 0;
  }

  void accept(TcpListener& listener) {
    listener.acceptor.async_accept(
        [this, &listener](const boost::system::error_code& ec, tcp::socket socket) {
          if (stopped || ec == asio::error::operation_aborted) return;
          if (const char* shortage = resource_shortage(ec)) {
            back_off(listener, shortage);
            return;
          }
          if (!ec) {
            if (listener.wait.count() != 0) end_trouble(listener);
            admit(std::move(socket));
          }
          accept(listener);
        });
  }

  // The connection stays in the kernel's queue; the listener tries again after a wait that
  // doubles at each failure, so that a process out of descriptors does not spin (it once took
  // 50-70% of a core and starved /health, issue 13 item 12).
  void back_off(TcpListener& listener, const char* reason) {
    const SteadyTime now = clock.now();
    ++counters.accept_failures;
    if (listener.wait.count() != 0 && now - listener.last_failure > Transports::kAcceptQuiet) {
      end_trouble(listener);  // the last episode ended quietly; this is a new one
    }
    if (listener.wait.count() == 0) {
      listener.wait = Transports::kAcceptFirstWait;
      listener.failures = 0;
      listener.reason = reason;
      listener.first_failure = now;
      receiver.on_accept_trouble(AcceptTrouble{listener.local, reason, 1, Millis{0}, false});
    } else {
      listener.wait = std::min(listener.wait * 2, Transports::kAcceptLongestWait);
    }
    ++listener.failures;
    listener.last_failure = now;
    listener.backoff.expires_after(listener.wait);
    listener.waiting = true;
    listener.backoff.async_wait([this, &listener](const boost::system::error_code& ec) {
      listener.waiting = false;
      if (stopped || ec == asio::error::operation_aborted) return;
      accept(listener);
    });
  }

  void end_trouble(TcpListener& listener) {
    const auto lasted =
        std::chrono::duration_cast<Millis>(listener.last_failure - listener.first_failure);
    receiver.on_accept_trouble(
        AcceptTrouble{listener.local, listener.reason, listener.failures, lasted, true});
    listener.wait = Millis{0};
    listener.failures = 0;
  }

  void admit(tcp::socket socket) {
    boost::system::error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) return;
    const IpAddress address = from_asio(remote.address());
    const Admission admission = receiver.accept_connection(address);
    const SlotVerdict verdict =
        admission.admit ? slots.take(admission.group, admission.known) : SlotVerdict::kTableFull;
    if (!admission.admit || verdict != SlotVerdict::kTaken) {
      ++counters.connections_refused;
      if (verdict == SlotVerdict::kGroupFull) ++counters.connections_refused_group;
      if (verdict == SlotVerdict::kStrangersFull) ++counters.connections_refused_strangers;
      socket.close(ec);
      return;
    }
    ++counters.connections_accepted;
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(std::move(socket));
    const tcp::endpoint local = connection->socket.local_endpoint(ec);
    connection->peer = Endpoint{Protocol::kTcp, address, remote.port(), next_connection++,
                                ec ? IpAddress{} : from_asio(local.address())};
    connection->group = admission.group;
    connection->known = admission.known;
    connection->last_activity = clock.now();
    // The first message is due within the deadline of the accept: a connection that never
    // sends a byte holds its slot no longer than one that dribbles.
    connection->message_started = connection->last_activity;
    connections.emplace(connection->peer.connection, connection);
    read(connection);
  }

  void read(const std::shared_ptr<Connection>& connection) {
    connection->socket.async_read_some(
        asio::buffer(connection->chunk),
        [this, connection](const boost::system::error_code& ec, size_t size) {
          if (stopped || connection->closed) return;
          if (ec) {
            drop(*connection);
            return;
          }
          const SteadyTime now = clock.now();
          connection->last_activity = now;
          if (!connection->message_started) connection->message_started = now;
          connection->input.append(connection->chunk.data(), size);
          if (!frame(*connection, now)) return;
          read(connection);
        });
  }

  // Hands every complete message in the buffer to the receiver, and starts the deadline of the
  // next one at `now` if part of it came with them. false once the connection is closing.
  bool frame(Connection& connection, SteadyTime now) {
    sip::Limits parse_limits;
    parse_limits.max_message_size = limits.max_message_size;
    size_t consumed = 0;
    bool delivered = false;
    while (!connection.closed && !connection.closing) {
      const std::string_view rest = std::string_view(connection.input).substr(consumed);
      auto framed = sip::frame_stream(rest, parse_limits);
      if (!framed) {
        ++counters.connections_overrun;
        connection.closing = true;
        receiver.on_framing_error(rest, framed.error(), connection.peer);
        finish(connection);
        return false;
      }
      consumed += framed->skip;
      if (framed->size == 0) break;
      ++counters.stream_messages_received;
      // Copy the peer: the receiver may close the connection while it looks at the message.
      const Endpoint peer = connection.peer;
      receiver.on_message(rest.substr(framed->skip, framed->size), peer, sip::Framing::kStream);
      consumed += framed->size;
      delivered = true;
    }
    if (connection.closed) return false;
    connection.input.erase(0, consumed);
    // Keep-alives (CRLF) are consumed as they come and start no deadline.
    if (connection.input.empty()) {
      connection.message_started.reset();
    } else if (delivered) {
      connection.message_started = now;
    }
    return !connection.closing;
  }

  void send_tcp(const Endpoint& to, std::string_view bytes) {
    auto it = connections.find(to.connection);
    if (it == connections.end() || it->second->closed) {
      ++counters.send_failures;
      return;
    }
    const std::shared_ptr<Connection> connection = it->second;
    if (connection->queued + bytes.size() > limits.max_queued_output) {
      ++counters.connections_overrun;
      drop(*connection);
      return;
    }
    connection->queued += bytes.size();
    connection->output.emplace_back(bytes);
    ++counters.sent;
    write(connection);
  }

  void write(const std::shared_ptr<Connection>& connection) {
    if (connection->writing || connection->output.empty()) return;
    connection->writing = true;
    asio::async_write(connection->socket, asio::buffer(connection->output.front()),
                      [this, connection](const boost::system::error_code& ec, size_t) {
                        connection->writing = false;
                        if (stopped || connection->closed) return;
                        if (ec) {
                          ++counters.send_failures;
                          drop(*connection);
                          return;
                        }
                        connection->queued -= connection->output.front().size();
                        connection->output.pop_front();
                        if (connection->output.empty() && connection->closing) {
                          drop(*connection);
                          return;
                        }
                        write(connection);
                      });
  }

  // Closes now if nothing waits to be written, else after the write.
  void finish(Connection& connection) {
    if (connection.output.empty() && !connection.writing) drop(connection);
  }

  void drop(Connection& connection) {
    if (connection.closed) return;
    connection.closed = true;
    boost::system::error_code ec;
    connection.socket.shutdown(tcp::socket::shutdown_both, ec);
    connection.socket.close(ec);
    slots.release(connection.group, connection.known);
    const Endpoint peer = connection.peer;
    connections.erase(peer.connection);  // may destroy `connection`
    if (!stopped) receiver.on_connection_closed(peer);
  }
};

Transports::Transports(asio::io_context& io, const Clock& clock, Limits limits, Receiver& receiver)
    : state_(std::make_unique<State>(io, clock, limits, receiver)) {}

Transports::~Transports() {
  close();
}

Result<void, std::string> Transports::listen(const Endpoint& address) {
  boost::system::error_code ec;
  const asio::ip::address ip = to_asio(address.address);
  const std::string where = to_spec(address);
  if (address.protocol == Protocol::kUdp) {
    auto listener = std::make_unique<UdpListener>(state_->io);
    const udp::endpoint local(ip, address.port);
    listener->socket.open(local.protocol(), ec);
    if (!ec && ip.is_v6()) listener->socket.set_option(asio::ip::v6_only(true), ec);
    if (!ec) listener->socket.bind(local, ec);
    if (!ec) listener->socket.non_blocking(true, ec);
    if (ec) return tl::unexpected("cannot listen on " + where + ": " + ec.message());
    listener->wildcard = is_unspecified(address.address);
    if (listener->wildcard) {
      // Which of the host's addresses each datagram was sent to: the one to advertise to its
      // sender, and to answer from.
      const int on = 1;
      const int set = ip.is_v6() ? ::setsockopt(listener->socket.native_handle(), IPPROTO_IPV6,
                                                IPV6_RECVPKTINFO, &on, sizeof(on))
                                 : ::setsockopt(listener->socket.native_handle(), IPPROTO_IP,
                                                IP_PKTINFO, &on, sizeof(on));
      if (set != 0) {
        return tl::unexpected(
            "cannot listen on " + where +
            ": cannot ask for each datagram's destination: " + std::strerror(errno));
      }
    }
    // Larger kernel buffers ride out bursts (the kernel caps them at its own maximum).
    listener->socket.set_option(udp::socket::receive_buffer_size(4 << 20), ec);
    listener->slot_size = state_->limits.max_message_size + 1;
    listener->buffers.resize(listener->slot_size * kBatch);
    const udp::endpoint bound = listener->socket.local_endpoint(ec);
    listener->local = Endpoint{Protocol::kUdp, address.address, bound.port(), 0, {}};
    listener->id = state_->udp.size() + 1;
    state_->locals.push_back(listener->local);
    state_->receive(*listener);
    state_->udp.push_back(std::move(listener));
    return {};
  }
  auto listener = std::make_unique<TcpListener>(state_->io);
  const tcp::endpoint local(ip, address.port);
  listener->acceptor.open(local.protocol(), ec);
  if (!ec && ip.is_v6()) listener->acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) listener->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) listener->acceptor.bind(local, ec);
  if (!ec) listener->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return tl::unexpected("cannot listen on " + where + ": " + ec.message());
  const tcp::endpoint bound = listener->acceptor.local_endpoint(ec);
  listener->local = Endpoint{Protocol::kTcp, address.address, bound.port(), 0, {}};
  state_->locals.push_back(listener->local);
  state_->accept(*listener);
  state_->tcp.push_back(std::move(listener));
  return {};
}

std::vector<Endpoint> Transports::local_endpoints() const {
  return state_->locals;
}

void Transports::send(const Endpoint& to, std::string_view bytes) {
  if (state_->stopped) return;
  if (to.protocol == Protocol::kTcp) {
    state_->send_tcp(to, bytes);
    return;
  }
  UdpListener* from = nullptr;
  if (to.connection >= 1 && to.connection <= state_->udp.size()) {
    from = state_->udp[to.connection - 1].get();
  }
  if (from != nullptr && from->local.address.v6 != to.address.v6) from = nullptr;
  if (from == nullptr) {
    for (const auto& listener : state_->udp) {
      if (listener->local.address.v6 == to.address.v6) {
        from = listener.get();
        break;
      }
    }
  }
  if (from == nullptr) {
    ++state_->counters.send_failures;
    return;
  }
  state_->queue_udp(*from, to, bytes);
}

void Transports::sweep() {
  const SteadyTime now = state_->clock.now();
  const Limits& limits = state_->limits;
  std::vector<std::shared_ptr<Connection>> late;
  std::vector<std::shared_ptr<Connection>> idle;
  for (const auto& [id, connection] : state_->connections) {
    if (connection->message_started &&
        now - *connection->message_started > limits.tcp_message_timeout) {
      late.push_back(connection);
    } else if (now - connection->last_activity > limits.tcp_idle_timeout) {
      idle.push_back(connection);
    }
  }
  for (const auto& connection : late) {
    ++state_->counters.connections_deadline_closed;
    state_->drop(*connection);
  }
  for (const auto& connection : idle) {
    ++state_->counters.connections_idle_closed;
    state_->drop(*connection);
  }
  // An episode of failed accepts that went quiet without a connection accepted since (nobody
  // was waiting in the queue) is over: say so now rather than at the next failure.
  for (const auto& listener : state_->tcp) {
    if (listener->wait.count() != 0 && now - listener->last_failure > kAcceptQuiet &&
        !listener->waiting) {
      state_->end_trouble(*listener);
    }
  }
}

void Transports::close() {
  if (state_->stopped) return;
  state_->flush_sends();  // what was answered before the stop still goes out
  state_->stopped = true;
  boost::system::error_code ec;
  for (auto& listener : state_->udp) listener->socket.close(ec);
  for (auto& listener : state_->tcp) {
    listener->acceptor.close(ec);
    try {
      listener->backoff.cancel();
    } catch (const boost::system::system_error&) {
      // Only a failing reactor throws here; the stopped flag keeps a late wait from accepting.
    }
  }
  std::vector<std::shared_ptr<Connection>> all;
  for (const auto& [id, connection] : state_->connections) all.push_back(connection);
  for (const auto& connection : all) state_->drop(*connection);
}

const Counters& Transports::counters() const {
  return state_->counters;
}

size_t Transports::connection_count() const {
  return state_->connections.size();
}

bool Transports::accept_starved() const {
  const SteadyTime now = state_->clock.now();
  for (const auto& listener : state_->tcp) {
    if (listener->wait.count() != 0 && now - listener->last_failure <= kAcceptQuiet) return true;
  }
  return false;
}

}  // namespace hardline::transport
