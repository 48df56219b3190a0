// The service registry: named providers of a kind (auth methods, payment providers, course
// types, recommenders...). A kind is an interface with `static constexpr std::string_view
// kServiceKind`; plugins find each other's services here instead of calling each other.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lore/sdk/status.h"
#include "lore/sdk/type_name.h"

namespace lore::sdk {

class Services {
 public:
  virtual ~Services() = default;

  virtual Status provide_erased(std::string_view kind, std::string_view type, std::string_view name,
                                std::shared_ptr<void> service) = 0;
  // The returned pointer keeps the providing library loaded while it is held.
  virtual std::shared_ptr<void> find_erased(std::string_view kind, std::string_view type,
                                            std::string_view name) const = 0;
  virtual std::vector<std::string> names(std::string_view kind) const = 0;

  template <class Interface>
  Status provide(std::string_view name, std::shared_ptr<Interface> service) {
    return provide_erased(Interface::kServiceKind, type_name<Interface>(), name,
                          std::static_pointer_cast<void>(std::move(service)));
  }

  template <class Interface>
  std::shared_ptr<Interface> find(std::string_view name) const {
    return std::static_pointer_cast<Interface>(
        find_erased(Interface::kServiceKind, type_name<Interface>(), name));
  }

  template <class Interface>
  std::vector<std::string> names() const {
    return names(Interface::kServiceKind);
  }
};

}  // namespace lore::sdk
