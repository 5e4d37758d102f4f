// Defers OpenSSL's initialisation from load time to first use.
//
// Debian's libcpp-httplib (the http source, webhook sink and HTTP upstream
// transport) calls OPENSSL_init_ssl() from a static constructor, so every
// edgeflow process loaded OpenSSL's error strings, providers and algorithm
// tables at start-up, TLS or not: 1.7 MB of resident memory (measured with
// /proc/PID/smaps: libcrypto 3.2 MB resident instead of 1.4 MB).
//
// This definition interposes the library's (the executable's symbols come
// first in the dynamic linker's lookup order). Calls made while shared
// libraries run their static constructors, i.e. before this executable's
// own constructor below has run, are answered "done" and skipped; every
// later call, including the ones OpenSSL makes itself in SSL_CTX_new and
// friends, goes to the real function. OpenSSL 3 initialises itself on
// first use, so TLS works exactly as before, only later. Linked into the
// edgeflow executable only (not the test binaries). See
// docs/adr/0005-optional-plugins.md.
#include <dlfcn.h>
#include <openssl/ssl.h>

#include <atomic>

namespace {

std::atomic<bool> g_libraries_initialised{false};

// Executables run their constructors after those of the libraries they
// link, so this marks the end of the libraries' static initialisation.
__attribute__((constructor)) void MarkLibrariesInitialised() { g_libraries_initialised.store(true); }

}  // namespace

extern "C" int OPENSSL_init_ssl(uint64_t opts, const OPENSSL_INIT_SETTINGS* settings) {
  if (!g_libraries_initialised.load()) return 1;
  using InitSsl = int (*)(uint64_t, const OPENSSL_INIT_SETTINGS*);
  static const InitSsl real = reinterpret_cast<InitSsl>(dlsym(RTLD_NEXT, "OPENSSL_init_ssl"));
  return real != nullptr ? real(opts, settings) : 0;
}
