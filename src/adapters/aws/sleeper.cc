#include "adapters/aws/sleeper.h"

#include <chrono>
#include <thread>

namespace shoal::aws {

double SteadySleeper::Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void SteadySleeper::Sleep(double seconds) {
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

}  // namespace shoal::aws
