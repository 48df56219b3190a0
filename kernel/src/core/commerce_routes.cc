// The commerce routes: buying a course (an order and the provider's checkout), the buyer's
// orders, and the payment providers' webhooks.

#include "commerce/commerce_service.h"
#include "core/kernel.h"
#include "core/route_input.h"

namespace lore {

namespace sh = sdk::http;

void Kernel::register_commerce_routes() {
  auto add = [&](sh::Method method, std::string path, std::string summary, sh::Access access,
                 std::string scope, auto handler) {
    add_api_route(method, std::move(path), std::move(summary), std::move(access), std::move(scope),
                  "commerce", handler);
  };
  CommerceService& commerce = *commerce_;

  add(sh::Method::post, "/api/v1/orders",
      "Buys a course: {course_id, provider} with an Idempotency-Key header -> 201 {order, "
      "checkout} (what the client does to pay: a redirect URL, a QR code or a client secret). "
      "A free course is granted at once (checkout null). Retrying with the same key replays the "
      "first answer; the same key with another body is a 422.",
      sh::Access::authenticated, "orders:write",
      [&commerce](const sh::Request& request) { return commerce.place_order(request); });

  add(sh::Method::get, "/api/v1/me/orders", "The caller's orders, newest first (at most 100).",
      sh::Access::authenticated, "orders:read", [&commerce](const sh::Request& request) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& order : commerce.orders().of_user(request.principal->user_id, 100))
          list.push_back(order);
        return sh::Response::json({{"orders", list}});
      });

  add(sh::Method::get, "/api/v1/orders/{order}",
      "One order with its checkout while it is pending: its buyer or an admin.",
      sh::Access::owner([&commerce](const sh::Request& request) -> std::optional<std::int64_t> {
        auto id = id_param(request, "order");
        if (!id) return std::nullopt;
        auto order = commerce.orders().find(*id);
        return order ? std::optional(order->user_id) : std::nullopt;
      }),
      "orders:read", [&commerce](const sh::Request& request) {
        auto order = commerce.orders().find(*id_param(request, "order"));
        if (!order) throw sh::Error(404, "not_found", "no such order");
        return sh::Response::json(commerce.view(*order));
      });

  add(sh::Method::post, "/api/v1/payments/{provider}/webhook",
      "A payment provider's notification, verified by the provider's plugin (signature over the "
      "raw body); each event is applied once, whatever the provider repeats.",
      sh::Access::anonymous, "", [&commerce](const sh::Request& request) {
        return commerce.receive_webhook(request.param("provider"), request);
      });
}

}  // namespace lore
