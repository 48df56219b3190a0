#include "support/fake_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace lore::test {

namespace {

constexpr std::size_t kMaxRequestBytes = 4 * 1024 * 1024;
constexpr int kPollMs = 50;
constexpr int kReadTimeoutMs = 5000;

std::string lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

std::optional<std::string> field_of(const std::string& encoded, const std::string& name) {
  for (auto& [field, value] : form_fields(encoded))
    if (field == name) return std::move(value);
  return std::nullopt;
}

// Reads until `buffer` holds the headers and Content-Length bytes of body. False on a closed
// or stalled connection.
bool read_request(int connection, std::string& buffer, std::size_t& header_end,
                  std::size_t& body_length) {
  header_end = std::string::npos;
  body_length = 0;
  char chunk[16 * 1024];
  while (true) {
    if (header_end == std::string::npos) {
      header_end = buffer.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const auto head = lowered(buffer.substr(0, header_end));
        const auto at = head.find("\r\ncontent-length:");
        if (at != std::string::npos)
          body_length = std::stoul(head.substr(at + std::strlen("\r\ncontent-length:")));
      }
    }
    if (header_end != std::string::npos && buffer.size() >= header_end + 4 + body_length)
      return true;
    if (buffer.size() > kMaxRequestBytes) return false;
    pollfd ready{connection, POLLIN, 0};
    if (::poll(&ready, 1, kReadTimeoutMs) <= 0) return false;
    const auto got = ::recv(connection, chunk, sizeof chunk, 0);
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(got));
  }
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> form_fields(const std::string& encoded) {
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t at = 0;
  while (at < encoded.size()) {
    auto end = encoded.find('&', at);
    if (end == std::string::npos) end = encoded.size();
    const auto pair = encoded.substr(at, end - at);
    const auto equals = pair.find('=');
    fields.emplace_back(form_decoded(pair.substr(0, equals)),
                        equals == std::string::npos ? "" : form_decoded(pair.substr(equals + 1)));
    at = end + 1;
  }
  return fields;
}

std::string form_decoded(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(text[i + 1]) &&
               std::isxdigit(text[i + 2])) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<std::string> FakeRequest::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> FakeRequest::form(const std::string& name) const {
  return field_of(body, name);
}

std::optional<std::string> FakeRequest::query_param(const std::string& name) const {
  return field_of(query, name);
}

FakeHttpServer::FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0)
    throw std::runtime_error("fake server: socket: " + std::string(strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string why = strerror(errno);
    ::close(listener_);
    throw std::runtime_error("fake server: cannot listen on 127.0.0.1: " + why);
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

FakeHttpServer::~FakeHttpServer() {
  stopping_ = true;
  thread_.join();
  ::close(listener_);
}

std::string FakeHttpServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::vector<FakeRequest> FakeHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void FakeHttpServer::serve() {
  while (!stopping_) {
    pollfd ready{listener_, POLLIN, 0};
    if (::poll(&ready, 1, kPollMs) <= 0) continue;
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    answer(connection);
    ::close(connection);
  }
}

void FakeHttpServer::answer(int connection) {
  std::string buffer;
  std::size_t header_end = 0;
  std::size_t body_length = 0;
  if (!read_request(connection, buffer, header_end, body_length)) return;

  FakeRequest request;
  const auto head = buffer.substr(0, header_end);
  auto line_end = head.find("\r\n");
  const auto request_line = head.substr(0, line_end);
  const auto space = request_line.find(' ');
  const auto second = request_line.find(' ', space + 1);
  request.method = request_line.substr(0, space);
  const auto target = request_line.substr(space + 1, second - space - 1);
  const auto question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) request.query = target.substr(question + 1);
  while (line_end != std::string::npos && line_end < head.size()) {
    const auto next = head.find("\r\n", line_end + 2);
    const auto line = head.substr(
        line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos)
      request.headers[lowered(line.substr(0, colon))] = trimmed(line.substr(colon + 1));
    line_end = next;
  }
  request.body = buffer.substr(header_end + 4, body_length);
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }

  FakeResponse response;
  try {
    response = handler_(request);
  } catch (const std::exception& e) {
    response = {500, std::string("{\"error\":\"fake server handler threw: ") + e.what() + "\"}"};
  }
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) +
                    "\r\nContent-Type: " + response.content_type +
                    "\r\nContent-Length: " + std::to_string(response.body.size()) +
                    "\r\nConnection: close\r\n\r\n" + response.body;
  std::size_t sent = 0;
  while (sent < out.size()) {
    const auto wrote = ::send(connection, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (wrote <= 0) return;
    sent += static_cast<std::size_t>(wrote);
  }
}

}  // namespace lore::test
