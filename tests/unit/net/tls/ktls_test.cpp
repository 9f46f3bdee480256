// Kernel TLS detection: on this machine (its answer must match the kernel's files) and on
// stand-in files for a kernel with and without the tls module.

#include "net/tls/ktls.h"

#include <gtest/gtest.h>
#include <openssl/opensslconf.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace bulwark::net::tls {
namespace {

constexpr bool kOpenSslHasKtls =
#ifdef OPENSSL_NO_KTLS
    false;
#else
    true;
#endif

class KernelTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("bulwark-ktls-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  [[nodiscard]] std::string ulp_file(const std::string& content) const {
    const std::string path = directory_ / "tcp_available_ulp";
    std::ofstream(path) << content;
    return path;
  }
  [[nodiscard]] std::string module_directory(bool exists) const {
    const std::string path = directory_ / "tls";
    if (exists) std::filesystem::create_directories(path);
    return path;
  }

  std::filesystem::path directory_;
};

TEST_F(KernelTlsTest, ThisMachineAnswersAsItsKernelFilesSay) {
  std::ifstream ulp("/proc/sys/net/ipv4/tcp_available_ulp");
  bool listed = false;
  for (std::string name; ulp >> name;)
    listed = listed || name == "tls";
  const bool kernel = listed || std::filesystem::is_directory("/sys/module/tls");

  const KernelTls ktls = detect_kernel_tls();
  EXPECT_EQ(ktls.available, kernel && kOpenSslHasKtls);
  EXPECT_FALSE(ktls.reason.empty());
  if (!kernel) {
    EXPECT_TRUE(ktls.reason.starts_with("the kernel has no tls module")) << ktls.reason;
  }
}

TEST_F(KernelTlsTest, NoTlsModule) {
  const KernelTls ktls = detect_kernel_tls(ulp_file("mptcp\n"), module_directory(false));
  EXPECT_FALSE(ktls.available);
  EXPECT_EQ(ktls.reason, "the kernel has no tls module (not in " + ulp_file("mptcp\n") + ", no " +
                             module_directory(false) + ")");
}

TEST_F(KernelTlsTest, NoFilesAtAllIsNoTlsModule) {
  const KernelTls ktls =
      detect_kernel_tls((directory_ / "missing").string(), module_directory(false));
  EXPECT_FALSE(ktls.available);
  EXPECT_TRUE(ktls.reason.starts_with("the kernel has no tls module")) << ktls.reason;
}

TEST_F(KernelTlsTest, NameContainingTlsIsNotTls) {
  EXPECT_FALSE(detect_kernel_tls(ulp_file("mptcp notls\n"), module_directory(false)).available);
}

TEST_F(KernelTlsTest, ListedUlpOrLoadedModule) {
  for (const KernelTls& ktls : {detect_kernel_tls(ulp_file("mptcp tls\n"), module_directory(false)),
                                detect_kernel_tls(ulp_file("mptcp\n"), module_directory(true))}) {
    EXPECT_EQ(ktls.available, kOpenSslHasKtls);
    EXPECT_FALSE(ktls.reason.empty());
    EXPECT_FALSE(ktls.reason.starts_with("the kernel has no tls module")) << ktls.reason;
    EXPECT_NE(ktls.reason.find("OpenSSL"), std::string::npos) << ktls.reason;
  }
}

}  // namespace
}  // namespace bulwark::net::tls
