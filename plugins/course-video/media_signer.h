// Signed media links: HMAC-SHA-256 over (path, expiry, viewer) with a site secret, so a link
// works only for the viewer it was made for and only until it expires, and the media path
// itself cannot be changed without breaking the signature.
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
