// Audio input: every shared clip decodes, conversion is chunking-invariant, G.711
// matches libsndfile's decoder, and broken input fails with a clear error.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "saywhen/audio.h"
#include "saywhen/runtime.h"

namespace {

using namespace saywhen;
using namespace saywhen::audio;

std::string shared_dir() {
  const char* env = std::getenv("SAYWHEN_SHARED");
  return env && *env ? env : "../shared";
}
std::string clip(const std::string& name) { return shared_dir() + "/audio/" + name; }

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("saywhen_decode_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void put32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}
void put16(std::string& s, uint16_t v) {
  for (int i = 0; i < 2; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}

// A 16-bit PCM WAV whose header fields can lie.
std::string wav(uint32_t rate, uint16_t channels, uint32_t data_bytes_in_header, size_t data_bytes_real) {
  std::string h = "RIFF";
  put32(h, static_cast<uint32_t>(36 + data_bytes_real));
  h += "WAVEfmt ";
  put32(h, 16);
  put16(h, 1);
  put16(h, channels);
  put32(h, rate);
  put32(h, rate * channels * 2);
  put16(h, static_cast<uint16_t>(channels * 2));
  put16(h, 16);
  h += "data";
  put32(h, data_bytes_in_header);
  for (size_t i = 0; i < data_bytes_real; ++i) h.push_back(static_cast<char>((i * 37) & 0x3f));
  return h;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

struct Clip {
  const char* name;
  double seconds;
};

TEST(Decode, EverySharedClipBecomes16kMono) {
  for (Clip c : {Clip{"jfk.wav", 11.0}, Clip{"jfk_8k.wav", 11.0}, Clip{"jfk_24k_stereo.wav", 11.0},
                 Clip{"silero_test.wav", 60.0}, Clip{"ru_16k.wav", 5.667}, Clip{"new_home_16k.wav", 3.586},
                 Clip{"ldc93s1_8k.wav", 2.925}, Clip{"fr_24k.wav", 2.533}, Clip{"zh_16k.wav", 0.956}}) {
    SCOPED_TRACE(c.name);
    std::vector<float> pcm = read_audio(clip(c.name));
    EXPECT_NEAR(static_cast<double>(pcm.size()) / kModelSampleRate, c.seconds, 0.002);
    double energy = 0;
    for (float v : pcm) {
      ASSERT_TRUE(std::isfinite(v));
      ASSERT_LT(std::fabs(v), 1.5f);
      energy += double(v) * v;
    }
    EXPECT_GT(energy / static_cast<double>(pcm.size()), 1e-5);  // real speech, not silence
  }
}

TEST(Decode, Wav16kMonoPassesThroughUnchanged) {
  // jfk.wav's data chunk starts at byte 78 (a LIST chunk precedes it).
  std::ifstream f(clip("jfk.wav"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<float> pcm = read_audio(clip("jfk.wav"));
  ASSERT_EQ(pcm.size(), (bytes.size() - 78) / 2);
  for (size_t i = 0; i < pcm.size(); i += 997) {
    auto s = static_cast<int16_t>(static_cast<uint8_t>(bytes[78 + 2 * i]) | (static_cast<uint8_t>(bytes[79 + 2 * i]) << 8));
    ASSERT_EQ(pcm[i], static_cast<float>(s) / 32768.0f) << i;
  }
}

TEST(Decode, ConversionDoesNotDependOnChunking) {
  // 24 kHz stereo: downmix and resampling both carry state across chunks.
  SF_INFO info{};
  SNDFILE* sf = sf_open(clip("jfk_24k_stereo.wav").c_str(), SFM_READ, &info);
  ASSERT_NE(sf, nullptr);
  std::vector<float> interleaved(static_cast<size_t>(info.frames) * 2);
  ASSERT_EQ(sf_readf_float(sf, interleaved.data(), info.frames), info.frames);
  sf_close(sf);

  std::vector<float> whole;
  Converter one(24000, 2);
  one.push(interleaved, whole);
  one.finish(whole);
  EXPECT_EQ(whole, read_audio(clip("jfk_24k_stereo.wav")));

  std::mt19937 rng(7);
  for (int trial = 0; trial < 3; ++trial) {
    Converter conv(24000, 2);
    std::vector<float> chunked;
    size_t pos = 0;
    while (pos < interleaved.size()) {
      size_t frames = std::uniform_int_distribution<size_t>(0, trial == 0 ? 3 : 5000)(rng);
      size_t n = std::min(frames * 2, interleaved.size() - pos);
      conv.push(std::span<const float>(interleaved.data() + pos, n), chunked);
      pos += n;
    }
    conv.finish(chunked);
    ASSERT_EQ(chunked.size(), whole.size());
    EXPECT_EQ(chunked, whole);
  }
}

TEST(Decode, PushBytesKeepsPartialFramesAcrossCalls) {
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 3000; ++i) {
    auto v = static_cast<uint16_t>(static_cast<int16_t>(10000 * std::sin(i * 0.05)));
    bytes.push_back(static_cast<uint8_t>(v & 0xff));
    bytes.push_back(static_cast<uint8_t>(v >> 8));
  }
  std::vector<float> whole, split;
  Converter a(16000, 2), b(16000, 2);
  a.push_bytes(bytes, Encoding::s16le, whole);
  a.finish(whole);
  for (size_t pos = 0; pos < bytes.size(); pos += 3)  // never a whole frame (4 bytes)
    b.push_bytes(std::span<const uint8_t>(bytes.data() + pos, std::min<size_t>(3, bytes.size() - pos)),
                 Encoding::s16le, split);
  b.finish(split);
  EXPECT_EQ(whole.size(), 1500u);
  EXPECT_EQ(split, whole);
}

// libsndfile's own G.711 decoder is the reference for every code.
std::vector<float> libsndfile_decode(int format, const std::vector<uint8_t>& codes) {
  std::string path = temp_path("g711.raw");
  write_bytes(path, std::string(codes.begin(), codes.end()));
  SF_INFO info{};
  info.samplerate = 8000;
  info.channels = 1;
  info.format = SF_FORMAT_RAW | format;
  SNDFILE* sf = sf_open(path.c_str(), SFM_READ, &info);
  EXPECT_NE(sf, nullptr) << sf_strerror(nullptr);
  std::vector<float> out(codes.size());
  if (sf) {
    EXPECT_EQ(sf_read_float(sf, out.data(), static_cast<sf_count_t>(out.size())), static_cast<sf_count_t>(out.size()));
    sf_close(sf);
  }
  std::filesystem::remove(path);
  return out;
}

TEST(Decode, G711MatchesLibsndfile) {
  std::vector<uint8_t> codes(256);
  for (int i = 0; i < 256; ++i) codes[i] = static_cast<uint8_t>(i);
  std::vector<float> mu = libsndfile_decode(SF_FORMAT_ULAW, codes);
  std::vector<float> a = libsndfile_decode(SF_FORMAT_ALAW, codes);
  for (int i = 0; i < 256; ++i) {
    EXPECT_EQ(decode_mulaw(static_cast<uint8_t>(i)), mu[i]) << "mu-law code " << i;
    EXPECT_EQ(decode_alaw(static_cast<uint8_t>(i)), a[i]) << "A-law code " << i;
  }
}

TEST(Decode, RawFromFileMatchesTheWav) {
  // The WAV's own samples as raw s16le give the same 16 kHz signal.
  std::ifstream f(clip("ldc93s1_8k.wav"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::string path = temp_path("raw.s16");
  write_bytes(path, bytes.substr(bytes.find("data") + 8));
  std::vector<float> raw = read_raw_audio(path, {Encoding::s16le, 8000, 1});
  std::filesystem::remove(path);
  EXPECT_EQ(raw, read_audio(clip("ldc93s1_8k.wav")));
}

TEST(Decode, BrokenInputGivesOneClearError) {
  std::string p = temp_path("bad.wav");
  write_bytes(p, "");
  EXPECT_NE(error_of([&] { read_audio(p); }).find("empty input"), std::string::npos);
  write_bytes(p, "this is not audio at all, just some text that goes on for a while....");
  EXPECT_NE(error_of([&] { read_audio(p); }).find("not a readable audio file"), std::string::npos);
  write_bytes(p, wav(0, 1, 2000, 2000));
  EXPECT_NE(error_of([&] { read_audio(p); }).find(p), std::string::npos);
  write_bytes(p, wav(16000, 60000, 2000, 2000));
  EXPECT_NE(error_of([&] { read_audio(p); }).find(p), std::string::npos);
  write_bytes(p, wav(16000, 1, 2000000, 2000));  // header promises 1000x the data
  EXPECT_NE(error_of([&] { read_audio(p); }).find("truncated"), std::string::npos);
  write_bytes(p, wav(16000, 1, 0, 0));
  EXPECT_NE(error_of([&] { read_audio(p); }).find(p), std::string::npos);
  // Streaming writers put 0xFFFFFFFF in the size fields: accepted.
  EXPECT_EQ(read_audio((write_bytes(p, wav(16000, 1, 0xffffffffu, 2000)), p)).size(), 1000u);
  // A consistent header works.
  EXPECT_EQ(read_audio((write_bytes(p, wav(16000, 1, 2000, 2000)), p)).size(), 1000u);

  write_bytes(p, "abc");  // 3 bytes: one and a half s16 samples
  EXPECT_NE(error_of([&] { read_raw_audio(p, {Encoding::s16le, 16000, 1}); }).find("truncated"), std::string::npos);
  EXPECT_NE(error_of([&] { read_raw_audio(p, {Encoding::mulaw, 0, 1}); }).find("sample rate 0"), std::string::npos);
  EXPECT_NE(error_of([&] { read_raw_audio(p, {Encoding::mulaw, 8000, 1000000}); }).find("channel count"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_audio(temp_path("does_not_exist.wav")); }).find("cannot open"), std::string::npos);
  EXPECT_NE(error_of([] { parse_encoding("mp3"); }).find("mp3"), std::string::npos);
  std::filesystem::remove(p);
}

}  // namespace
