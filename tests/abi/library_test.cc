// LoadedLibrary on real shared objects: version rules, bad files, init failures, malformed
// descriptors, truncated (older) layouts, the content-addressed cache and unloading.
#include "host/loader/library.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "host/common/sha256.h"
#include "host/loader/plugin_cache.h"
#include "host/loader/type_tables.h"
#include "test_support.h"

namespace epp::loader {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing_abi::LogCapture;
namespace fs = std::filesystem;
using testing_abi::TempDir;

class LibraryTest : public ::testing::Test {
 protected:
  common::Result<std::shared_ptr<LoadedLibrary>> load(const fs::path& file, HostAbi host = {}) {
    return LoadedLibrary::load(file, cache_, host);
  }
  // A private copy, so each test's file (and so its cache entry) is its own.
  fs::path copy(const char* source, const std::string& name) {
    return testing_abi::copyPlugin(source, dir_ / name);
  }

  TempDir dir_;
  fs::path cache_ = dir_ / "cache/nested";
};

TEST_F(LibraryTest, LoadsPluginThroughContentAddressedCopy) {
  fs::path file = copy(TP_SCORER_V1, "libscorer.so");
  auto library = load(file);
  ASSERT_TRUE(library) << library.error();
  const LoadedLibrary& lib = **library;

  auto bytes = readFile(file);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(lib.sha256(), common::sha256Hex(*bytes));
  EXPECT_EQ(lib.sourcePath(), file);
  EXPECT_EQ(lib.cachedPath(), fs::absolute(cache_) / ("libscorer-" + lib.sha256() + ".so"));
  EXPECT_TRUE(fs::exists(lib.cachedPath()));
  EXPECT_TRUE(testing_abi::isMapped(lib.cachedPath()));
  EXPECT_FALSE(testing_abi::isMapped(file));

  struct stat info {};
  ASSERT_EQ(::stat(cache_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0700u);

  EXPECT_EQ(lib.name(), "test-plugin");
  EXPECT_EQ(lib.version(), "1.0.0");
  EXPECT_EQ(lib.packedAbi(), EPP_ABI_PACK(EPP_ABI_MAJOR, EPP_ABI_MINOR));
  EXPECT_STREQ(lib.descriptor().description, "ABI test plugin");
  EXPECT_NE(lib.descriptor().shutdown, nullptr);
  ASSERT_EQ(lib.types().size(), 1u);
  const epp_type_descriptor* type = lib.findType("test-scorer");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type, lib.types()[0]);
  EXPECT_EQ(type->kinds, EPP_KIND_SCORER);
  ASSERT_NE(type->scorer, nullptr);
  EXPECT_EQ(type->scorer->category, EPP_SCORER_DISTRIBUTION);
  EXPECT_EQ(lib.findType("no-such-type"), nullptr);
}

TEST_F(LibraryTest, OlderMinorPluginLoadsIntoNewerHost) {
  auto library = load(copy(TP_SCORER_V1, "x.so"), HostAbi{EPP_ABI_MAJOR, EPP_ABI_MINOR + 1});
  ASSERT_TRUE(library) << library.error();
  EXPECT_EQ(EPP_ABI_PACKED_MINOR((*library)->packedAbi()), EPP_ABI_MINOR);
}

// A plugin built before ABI 1.2 (which appended response_set_header to the host table)
// loads and works in this host.
TEST_F(LibraryTest, Abi11PluginLoadsIntoThisHost) {
  auto library = load(copy(TP_SCORER_ABI11, "abi11.so"));
  ASSERT_TRUE(library) << library.error();
  EXPECT_EQ(EPP_ABI_PACKED_MINOR((*library)->packedAbi()), 1);
  EXPECT_EQ((*library)->descriptor().abi_minor, 1);
  ASSERT_NE((*library)->findType("test-scorer"), nullptr);
}

TEST_F(LibraryTest, NewerMinorPluginIsRefused) {
  fs::path file = copy(TP_NEWER_MINOR, "newer.so");
  auto library = load(file);
  ASSERT_FALSE(library);
  EXPECT_EQ(library.error(), file.string() + ": plugin built for ABI 1." +
                                 std::to_string(EPP_ABI_MINOR + 1) +
                                 ", newer than this eppd's ABI 1." + std::to_string(EPP_ABI_MINOR));
  // The same file is fine for a host that speaks the next minor.
  EXPECT_TRUE(load(file, HostAbi{1, EPP_ABI_MINOR + 1}));
}

TEST_F(LibraryTest, OtherMajorIsRefusedBeforeAnyPluginCodeRuns) {
  LogCapture log;
  fs::path file = copy(TP_OTHER_MAJOR, "major.so");
  auto library = load(file);
  ASSERT_FALSE(library);
  const std::string minor = std::to_string(EPP_ABI_MINOR);
  EXPECT_EQ(library.error(),
            file.string() + ": plugin built for ABI 2." + minor + ", this eppd speaks 1." + minor);
  EXPECT_FALSE(log.contains("entry called"));
}

TEST_F(LibraryTest, DescriptorDisagreeingWithAbiSymbolIsRefused) {
  auto library = load(copy(TP_DESCRIPTOR_OTHER_MAJOR, "desc.so"));
  ASSERT_FALSE(library);
  EXPECT_THAT(library.error(), HasSubstr("invalid descriptor: descriptor built for ABI 2." +
                                         std::to_string(EPP_ABI_MINOR) + ", this eppd speaks 1." +
                                         std::to_string(EPP_ABI_MINOR)));
}

TEST_F(LibraryTest, FilesThatAreNotSharedObjectsAreNamedAsSuch) {
  struct Case {
    std::string name;
    std::string content;
    std::string reason;
  };
  const Case cases[] = {
      {"empty.so", "", "not a shared object (empty file)"},
      {"text.so", "this is not a library\n", "not a shared object (no ELF header)"},
      {"garbage.so", std::string("\x13\x37\x00\xff\xfe", 5) + std::string(200, '\x42'),
       "not a shared object (no ELF header)"},
      {"truncated.so",
       "\x7f"
       "ELF\x02\x01\x01",
       "not a shared object (no ELF header)"},
  };
  for (const Case& c : cases) {
    fs::path file = testing_abi::writeFile(dir_ / c.name, c.content);
    auto library = load(file);
    ASSERT_FALSE(library) << c.name;
    EXPECT_EQ(library.error(), file.string() + ": " + c.reason);
  }
}

TEST_F(LibraryTest, ElfHeaderOfAnotherKindIsNotASharedObject) {
  auto bytes = readFile(TP_SCORER_V1);
  ASSERT_TRUE(bytes);
  (*bytes)[16] = std::byte{2};  // e_type = ET_EXEC
  std::string content(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  fs::path file = testing_abi::writeFile(dir_ / "exec.so", content);
  auto library = load(file);
  ASSERT_FALSE(library);
  EXPECT_EQ(library.error(), file.string() + ": not a shared object (an executable)");
}

TEST_F(LibraryTest, MissingFileIsAnError) {
  auto library = load(dir_ / "absent.so");
  ASSERT_FALSE(library);
  EXPECT_EQ(library.error(), (dir_ / "absent.so").string() + ": No such file or directory");
}

TEST_F(LibraryTest, MissingSymbolsAreNamed) {
  auto no_entry = load(copy(TP_NO_ENTRY, "no_entry.so"));
  ASSERT_FALSE(no_entry);
  EXPECT_THAT(no_entry.error(), HasSubstr("no_entry.so: not an eppd plugin: no epp_plugin_entry "
                                          "symbol"));
  auto no_abi = load(copy(TP_NO_ABI_SYMBOL, "no_abi.so"));
  ASSERT_FALSE(no_abi);
  EXPECT_THAT(no_abi.error(), HasSubstr("no_abi.so: not an eppd plugin: no epp_plugin_abi symbol"));
}

TEST_F(LibraryTest, InitFailureCarriesThePluginsMessage) {
  fs::path file = copy(TP_INIT_FAIL, "init_fail.so");
  auto library = load(file);
  ASSERT_FALSE(library);
  EXPECT_EQ(library.error(), file.string() +
                                 ": plugin refused to load: widget database "
                                 "unavailable at /var/lib/widgets");
}

struct MalformedCase {
  const char* library;
  const char* reason;
};

void PrintTo(const MalformedCase& c, std::ostream* out) { *out << c.reason; }

std::string malformedCaseName(const ::testing::TestParamInfo<MalformedCase>& param_info) {
  static const char* const kNames[] = {"DescriptorTooSmall", "NullName", "BadSemver", "BadTypeName",
                                       "KindsMismatch"};
  return kNames[param_info.index];
}

class MalformedDescriptorTest : public LibraryTest,
                                public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(MalformedDescriptorTest, IsRefusedWithThePreciseReason) {
  fs::path file = copy(GetParam().library, "malformed.so");
  auto library = load(file);
  ASSERT_FALSE(library);
  EXPECT_EQ(library.error(), file.string() + ": invalid descriptor: " + GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedDescriptorTest,
    ::testing::Values(MalformedCase{TP_MALFORMED_1,
                                    "descriptor struct_size 8 is smaller than the 48 bytes of "
                                    "its v1.0 fields"},
                      MalformedCase{TP_MALFORMED_2, "descriptor name is NULL"},
                      MalformedCase{TP_MALFORMED_3,
                                    "version '1.0' is not a semantic version "
                                    "(MAJOR.MINOR.PATCH)"},
                      MalformedCase{TP_MALFORMED_4,
                                    "types[0] type name 'Bad_Scorer' is not lower-case "
                                    "kebab-case (like 'queue-scorer')"},
                      MalformedCase{TP_MALFORMED_5,
                                    "type 'malformed-scorer' declares kind filter but its "
                                    "filter table is absent"}),
    malformedCaseName);

TEST_F(LibraryTest, TruncatedStructsLoadWithMissingFieldsAbsent) {
  LogCapture log;
  {
    auto library =
        load(copy(TP_TRUNCATED, "truncated.so"), HostAbi{EPP_ABI_MAJOR, EPP_ABI_MINOR + 1});
    ASSERT_TRUE(library) << library.error();
    const LoadedLibrary& lib = **library;
    EXPECT_EQ(lib.version(), "0.9.0-rc.1+build.7");
    EXPECT_EQ(lib.descriptor().shutdown, nullptr);
    ASSERT_EQ(lib.types().size(), 4u);

    const epp_type_descriptor* scorer = lib.findType("truncated-scorer");
    ASSERT_NE(scorer, nullptr);
    EXPECT_EQ(scorer->kinds, EPP_KIND_SCORER);
    ASSERT_NE(scorer->scorer, nullptr);
    EXPECT_NE(scorer->scorer->score, nullptr);
    EXPECT_EQ(scorer->picker, nullptr);  // set by the plugin, beyond its struct_size

    const epp_type_descriptor* adapter = lib.findType("truncated-adapter");
    ASSERT_NE(adapter, nullptr);
    ASSERT_NE(adapter->backend_adapter, nullptr);
    EXPECT_NE(adapter->backend_adapter->check_health, nullptr);
    EXPECT_EQ(adapter->backend_adapter->detect, nullptr);
    EXPECT_EQ(adapter->request_hooks, nullptr);
    EXPECT_TRUE(optionalHooks(*adapter).empty());

    const epp_type_descriptor* hooks = lib.findType("truncated-hooks");
    ASSERT_NE(hooks, nullptr);
    ASSERT_NE(hooks->request_hooks, nullptr);
    EXPECT_EQ(hooks->request_hooks->request_complete, nullptr);
    EXPECT_THAT(optionalHooks(*hooks),
                ElementsAre("request-hooks.prepare_request", "request-hooks.pre_request"));
    EXPECT_EQ(hooks->state_handover, nullptr);  // ABI 1.1, far beyond its struct_size

    // The complete 1.0 type descriptor: everything up to data_hooks, nothing of 1.1.
    const epp_type_descriptor* v10 = lib.findType("truncated-v1-0");
    ASSERT_NE(v10, nullptr);
    EXPECT_EQ(v10->kinds, EPP_KIND_SCORER | EPP_KIND_DATA_HOOKS);
    ASSERT_NE(v10->data_hooks, nullptr);
    EXPECT_EQ(v10->state_handover, nullptr);
    EXPECT_THAT(optionalHooks(*v10), ElementsAre("data-hooks.endpoints_removed"));
  }
  EXPECT_FALSE(log.contains("truncated shutdown called"));
}

TEST_F(LibraryTest, SameContentIsLoadedOnce) {
  auto first = load(copy(TP_SCORER_V1, "a/x.so"));
  auto second = load(copy(TP_SCORER_V1, "b/y.so"));
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ((*second)->sourcePath(), dir_ / "a/x.so");
}

TEST_F(LibraryTest, AnUnchangedFileIsNotReadAgainWhileItsLibraryIsLoaded) {
  fs::path file = copy(TP_SCORER_V1, "x.so");
  auto first = load(file);
  ASSERT_TRUE(first) << first.error();
  const uint64_t hashed = LoadedLibrary::filesHashed();
  auto again = load(file);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->get(), first->get());
  EXPECT_EQ(LoadedLibrary::filesHashed(), hashed);
  // A pin is still checked against the remembered hash.
  auto pinned = LoadedLibrary::load(file, cache_, {}, std::string(64, 'a'));
  ASSERT_FALSE(pinned);
  EXPECT_THAT(pinned.error(), HasSubstr("refused: its sha256 is " + (*first)->sha256()));
}

// Same size, same mtime, same inode, other content: only the ctime tells, and it must.
TEST_F(LibraryTest, AFileRewrittenInPlaceWithItsMtimeRestoredIsHashedAgain) {
  fs::path file = copy(TP_SCORER_V1, "x.so");
  auto first = load(file);
  ASSERT_TRUE(first) << first.error();
  const auto mtime = fs::last_write_time(file);
  struct stat before {};
  ASSERT_EQ(::stat(file.c_str(), &before), 0);

  auto bytes = readFile(file);
  ASSERT_TRUE(bytes);
  std::string content(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  const size_t at = content.find("ABI test plugin");
  ASSERT_NE(at, std::string::npos);
  content[at] = 'a';  // "aBI test plugin": a valid library with another hash
  {
    std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  fs::last_write_time(file, mtime);
  struct stat after {};
  ASSERT_EQ(::stat(file.c_str(), &after), 0);
  ASSERT_EQ(after.st_ino, before.st_ino);
  ASSERT_EQ(after.st_size, before.st_size);

  auto changed = load(file);
  ASSERT_TRUE(changed) << changed.error();
  EXPECT_NE(changed->get(), first->get());
  EXPECT_NE((*changed)->sha256(), (*first)->sha256());
  EXPECT_STREQ((*changed)->descriptor().description, "aBI test plugin");
}

TEST_F(LibraryTest, UnloadCallsShutdownAndUnmaps) {
  LogCapture log;
  fs::path cached;
  {
    auto library = load(copy(TP_SCORER_V1, "x.so"));
    ASSERT_TRUE(library) << library.error();
    cached = (*library)->cachedPath();
    EXPECT_TRUE(log.contains("library=x.so entry called: test-plugin"));
    EXPECT_FALSE(log.contains("shutdown called"));
  }
  EXPECT_TRUE(log.contains("library=x.so shutdown called: test-plugin"));
  EXPECT_FALSE(testing_abi::isMapped(cached));
  // A later load of the same content starts afresh.
  auto again = load(dir_ / "x.so");
  ASSERT_TRUE(again) << again.error();
  EXPECT_TRUE(testing_abi::isMapped(cached));
}

TEST_F(LibraryTest, TamperedCacheEntryIsRewritten) {
  fs::path file = copy(TP_SCORER_V1, "x.so");
  auto bytes = readFile(file);
  ASSERT_TRUE(bytes);
  fs::create_directories(cache_);
  fs::permissions(cache_, fs::perms::owner_all, fs::perm_options::replace);
  fs::path cached = cachedPathFor(fs::absolute(cache_), file, common::sha256Hex(*bytes));
  testing_abi::writeFile(cached, "not what was hashed");

  auto library = load(file);
  ASSERT_TRUE(library) << library.error();
  auto stored = readFile(cached);
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, *bytes);
}

TEST_F(LibraryTest, CacheWritableByOthersIsRefused) {
  fs::create_directories(cache_);
  fs::permissions(cache_, fs::perms::all, fs::perm_options::replace);
  auto library = load(copy(TP_SCORER_V1, "x.so"));
  ASSERT_FALSE(library);
  EXPECT_THAT(library.error(), HasSubstr("is writable by other users (mode 777)"));
}

}  // namespace
}  // namespace epp::loader
