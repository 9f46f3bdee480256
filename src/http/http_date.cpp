#include "http/http_date.h"

#include <algorithm>
#include <array>

namespace bulwark::http {
namespace {

constexpr std::array<std::string_view, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                    "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::int64_t kSecondsPerDay = 86'400;

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
constexpr std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146'097 + static_cast<std::int64_t>(day_of_era) - 719'468;
}

struct Civil {
  std::int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

constexpr Civil civil_from_days(std::int64_t days) noexcept {
  days += 719'468;
  const std::int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146'097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned mp = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year =
      static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

constexpr bool is_leap(std::int64_t year) noexcept {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

constexpr unsigned days_in_month(std::int64_t year, unsigned month) noexcept {
  constexpr std::array<unsigned, 12> kDaysIn{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDaysIn[month - 1];
}

// Reads the text left to right; every step fails the whole parse by returning false.
class Cursor {
 public:
  explicit Cursor(std::string_view text) noexcept : text_(text) {}

  bool literal(std::string_view expected) noexcept {
    if (!text_.starts_with(expected)) return false;
    text_.remove_prefix(expected.size());
    return true;
  }
  // Exactly `count` digits.
  bool digits(std::size_t count, unsigned& out) noexcept {
    if (text_.size() < count) return false;
    out = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text_[i];
      if (c < '0' || c > '9') return false;
      out = out * 10 + static_cast<unsigned>(c - '0');
    }
    text_.remove_prefix(count);
    return true;
  }
  // One of `names`; its index in `out`.
  template <std::size_t N>
  bool name(const std::array<std::string_view, N>& names, unsigned& out) noexcept {
    for (unsigned i = 0; i < N; ++i) {
      if (literal(names[i])) {
        out = i;
        return true;
      }
    }
    return false;
  }
  // "HH:MM:SS"
  bool time_of_day(unsigned& hour, unsigned& minute, unsigned& second) noexcept {
    return digits(2, hour) && literal(":") && digits(2, minute) && literal(":") &&
           digits(2, second) && hour < 24 && minute < 60 && second <= 60;
  }
  [[nodiscard]] bool done() const noexcept { return text_.empty(); }

 private:
  std::string_view text_;
};

std::optional<std::int64_t> to_seconds(std::int64_t year, unsigned month_index, unsigned day,
                                       unsigned hour, unsigned minute, unsigned second) noexcept {
  const unsigned month = month_index + 1;
  if (day == 0 || day > days_in_month(year, month)) return std::nullopt;
  second = std::min(second, 59U);  // a leap second reads as the second before it
  const std::int64_t time_of_day = std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second;
  return days_from_civil(year, month, day) * kSecondsPerDay + time_of_day;
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<std::int64_t> parse_imf_fixdate(Cursor in) noexcept {
  unsigned weekday = 0, day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!(in.name(kDays, weekday) && in.literal(", ") && in.digits(2, day) && in.literal(" ") &&
        in.name(kMonths, month) && in.literal(" ") && in.digits(4, year) && in.literal(" ") &&
        in.time_of_day(hour, minute, second) && in.literal(" GMT") && in.done())) {
    return std::nullopt;
  }
  return to_seconds(year, month, day, hour, minute, second);
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<std::int64_t> parse_rfc850(Cursor in) noexcept {
  unsigned weekday = 0, day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!(in.name(kLongDays, weekday) && in.literal(", ") && in.digits(2, day) && in.literal("-") &&
        in.name(kMonths, month) && in.literal("-") && in.digits(2, year) && in.literal(" ") &&
        in.time_of_day(hour, minute, second) && in.literal(" GMT") && in.done())) {
    return std::nullopt;
  }
  return to_seconds(year < 70 ? 2000 + year : 1900 + year, month, day, hour, minute, second);
}

// "Sun Nov  6 08:49:37 1994"
std::optional<std::int64_t> parse_asctime(Cursor in) noexcept {
  unsigned weekday = 0, day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (!(in.name(kDays, weekday) && in.literal(" ") && in.name(kMonths, month) && in.literal(" "))) {
    return std::nullopt;
  }
  if (!(in.literal(" ") ? in.digits(1, day) : in.digits(2, day))) return std::nullopt;
  if (!(in.literal(" ") && in.time_of_day(hour, minute, second) && in.literal(" ") &&
        in.digits(4, year) && in.done())) {
    return std::nullopt;
  }
  return to_seconds(year, month, day, hour, minute, second);
}

void put2(char* out, unsigned value) noexcept {
  out[0] = static_cast<char>('0' + value / 10);
  out[1] = static_cast<char>('0' + value % 10);
}

}  // namespace

std::string_view format_http_date(std::int64_t seconds,
                                  std::span<char, kHttpDateSize> out) noexcept {
  constexpr std::int64_t kFirst = days_from_civil(0, 1, 1) * kSecondsPerDay;
  constexpr std::int64_t kLast = days_from_civil(10'000, 1, 1) * kSecondsPerDay - 1;
  seconds = std::clamp(seconds, kFirst, kLast);
  std::int64_t days = seconds / kSecondsPerDay;
  std::int64_t rest = seconds % kSecondsPerDay;
  if (rest < 0) {
    rest += kSecondsPerDay;
    --days;
  }
  const Civil date = civil_from_days(days);
  const auto weekday = static_cast<std::size_t>(((days % 7) + 11) % 7);  // 1970-01-01: Thursday
  char* p = out.data();
  std::ranges::copy(kDays[weekday], p);
  p[3] = ',';
  p[4] = ' ';
  put2(p + 5, date.day);
  p[7] = ' ';
  std::ranges::copy(kMonths[date.month - 1], p + 8);
  p[11] = ' ';
  const auto year = static_cast<unsigned>(date.year);
  put2(p + 12, year / 100);
  put2(p + 14, year % 100);
  p[16] = ' ';
  put2(p + 17, static_cast<unsigned>(rest / 3600));
  p[19] = ':';
  put2(p + 20, static_cast<unsigned>(rest / 60 % 60));
  p[22] = ':';
  put2(p + 23, static_cast<unsigned>(rest % 60));
  std::copy_n(" GMT", 4, p + 25);
  return {out.data(), out.size()};
}

std::optional<std::int64_t> parse_http_date(std::string_view text) noexcept {
  if (text.size() == kHttpDateSize && text[3] == ',') return parse_imf_fixdate(Cursor(text));
  if (text.size() > 3 && text[3] == ' ') return parse_asctime(Cursor(text));
  return parse_rfc850(Cursor(text));
}

}  // namespace bulwark::http
