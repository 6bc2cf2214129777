#pragma once

#include <cstdint>

namespace cartopull::flow {

// Caps retries at a fraction of first attempts so that a dead server sees at most (1 + ratio) times the
// normal load, not max_attempts times (Finagle's retry budget, without the time window). Every first
// attempt deposits `ratio`; every retry withdraws 1; `reserve` retries are always allowed at startup and
// the balance never exceeds `ceiling`. Single-threaded.
class RetryBudget {
 public:
  explicit RetryBudget(double ratio = 0.2, double reserve = 10, double ceiling = 100)
      : ratio_(ratio), ceiling_(ceiling < reserve ? reserve : ceiling), balance_(reserve) {}

  void on_first_attempt() {
    balance_ += ratio_;
    if (balance_ > ceiling_) balance_ = ceiling_;
  }
  // True (and withdraws) when a retry may go ahead.
  bool try_withdraw() {
    if (balance_ < 1.0) return false;
    balance_ -= 1.0;
    return true;
  }
  double balance() const { return balance_; }

 private:
  double ratio_;
  double ceiling_;
  double balance_;
};

}  // namespace cartopull::flow
