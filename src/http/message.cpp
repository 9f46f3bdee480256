#include "http/message.h"

namespace bulwark::http {

Method method_from_token(std::string_view token) noexcept {
  switch (token.size()) {
    case 3:
      if (token == "GET") return Method::kGet;
      if (token == "PUT") return Method::kPut;
      break;
    case 4:
      if (token == "HEAD") return Method::kHead;
      if (token == "POST") return Method::kPost;
      break;
    case 5:
      if (token == "PATCH") return Method::kPatch;
      if (token == "TRACE") return Method::kTrace;
      break;
    case 6:
      if (token == "DELETE") return Method::kDelete;
      break;
    case 7:
      if (token == "CONNECT") return Method::kConnect;
      if (token == "OPTIONS") return Method::kOptions;
      break;
    default:
      break;
  }
  return Method::kOther;
}

bool is_idempotent(Method method) noexcept {
  switch (method) {
    case Method::kGet:
    case Method::kHead:
    case Method::kPut:
    case Method::kDelete:
    case Method::kOptions:
    case Method::kTrace:
      return true;
    default:
      return false;
  }
}

}  // namespace bulwark::http
