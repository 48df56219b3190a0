// Signed media links: HMAC-SHA-256 over (path, expiry, viewer) with a site secret, so neither
// the media path, the expiry nor the viewer named in a link can be changed without breaking
// it. The viewer is there to attribute a leaked link (players fetch media without the bearer
// token, so the route cannot check who calls): whoever holds a link can use it until it
// expires, which is why links are short-lived.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace course_video {

class MediaSigner {
 public:
  // An empty secret makes a random one (links then die with the process).
  explicit MediaSigner(std::string secret);

  // Hex signature of the three fields.
  std::string sign(std::string_view path, std::int64_t expires_s, std::int64_t viewer) const;
  // Constant-time comparison against sign().
  bool verify(std::string_view path, std::int64_t expires_s, std::int64_t viewer,
              std::string_view signature) const;
  bool random_secret() const noexcept { return random_; }

 private:
  std::string secret_;
  bool random_ = false;
};

}  // namespace course_video
