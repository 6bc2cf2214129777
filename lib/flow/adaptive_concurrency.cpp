#include "flow/adaptive_concurrency.hpp"

#include <algorithm>
#include <cmath>

namespace cartopull::flow {

void AdaptiveConcurrency::Ewma::update(double x, double alpha) {
  if (!mean) {
    mean = x;
    var = 0;
    return;
  }
  double diff = x - *mean;
  *mean += alpha * diff;
  var = (1 - alpha) * (var + alpha * diff * diff);
}

AdaptiveConcurrency::AdaptiveConcurrency(ArcConfig config) : config_(config) {
  config_.max = std::max<std::uint32_t>(config_.max, 1);
  limit_ = config_.adaptive ? std::clamp<std::uint32_t>(config_.initial, 1, config_.max) : config_.max;
}

void AdaptiveConcurrency::on_start() {
  ++in_flight_;
  if (in_flight_ >= limit_) reached_limit_ = true;
}

Nanos AdaptiveConcurrency::averaged_rtt() const {
  return Nanos(static_cast<Nanos::rep>(past_.mean.value_or(0)));
}

void AdaptiveConcurrency::on_finish(TimePoint now, Nanos rtt, ArcSignal signal) {
  if (in_flight_ > 0) --in_flight_;
  if (!config_.adaptive) return;
  if (signal == ArcSignal::back_pressure) had_back_pressure_ = true;
  if (signal == ArcSignal::success) {
    current_.sum += static_cast<double>(rtt.count());
    ++current_.n;
  }
  if (!past_.mean) {
    if (current_.n == 0) return;
    double avg = current_.sum / static_cast<double>(current_.n);
    past_.update(avg, config_.ewma_alpha);
    next_update_ = now + Nanos(static_cast<Nanos::rep>(avg));
    return;
  }
  if (now < next_update_) return;

  // One decision per averaged-RTT window (Vector's controller). Overload is RTT strictly above mean +
  // threshold (Vector: >=) so that a perfectly steady RTT with zero variance does not shrink the limit.
  std::optional<double> current;
  if (current_.n > 0) current = current_.sum / static_cast<double>(current_.n);
  double threshold = std::sqrt(past_.var) * config_.rtt_deviation_scale;
  if (limit_ < config_.max && reached_limit_ && !had_back_pressure_ && current && *current <= *past_.mean) {
    ++limit_;
  } else if (limit_ > 1 && (had_back_pressure_ || (current && *current > *past_.mean + threshold))) {
    limit_ =
        std::max<std::uint32_t>(1, static_cast<std::uint32_t>(std::floor(limit_ * config_.decrease_ratio)));
  }
  if (current) past_.update(*current, config_.ewma_alpha);
  next_update_ = now + Nanos(static_cast<Nanos::rep>(*past_.mean));
  current_ = {};
  had_back_pressure_ = false;
  reached_limit_ = in_flight_ >= limit_;
}

}  // namespace cartopull::flow
