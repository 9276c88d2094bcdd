// Audio in: files through libsndfile, headerless PCM / G.711 from files or pipes,
// and the conversion of all of it to 16 kHz mono float (see include/saywhen/audio.h).
//
// Everything funnels through Converter so that a whole file and a stream cut into
// arbitrary chunks give the same samples: channels are averaged per frame, then
// libsoxr resamples with its "very high quality" recipe, the one Pipecat's
// resamplers use, so features match what a Pipecat pipeline feeds Smart Turn.

#include <soxr.h>
#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "saywhen/audio.h"
#include "saywhen/runtime.h"

namespace saywhen::audio {
namespace {

// Anything outside these bounds is a broken header or a wrong --rate/--channels,
// never real audio: rejecting it early avoids absurd allocations downstream.
constexpr int kMaxSampleRate = 768000;
constexpr int kMaxChannels = 64;
// 4 hours at 16 kHz: larger inputs are almost certainly a mistake, and would need
// several GiB of floats.
constexpr int64_t kMaxOutputSamples = int64_t{4} * 3600 * kModelSampleRate;

std::string where_of(const std::string& path) { return path == "-" ? std::string("stdin") : path; }

std::vector<uint8_t> read_all_bytes(const std::string& path) {
  std::vector<uint8_t> bytes;
  if (path == "-") {
    uint8_t buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw Error("stdin: read failed: " + std::string(std::strerror(errno)));
      }
      if (n == 0) break;
      bytes.insert(bytes.end(), buf, buf + n);
    }
    return bytes;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open: " + std::strerror(errno));
  bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  if (f.bad()) throw Error(path + ": read failed");
  return bytes;
}

// libsndfile virtual I/O over a byte buffer, so stdin (not seekable) reads like a file.
struct MemoryFile {
  const std::vector<uint8_t>* bytes;
  sf_count_t pos = 0;

  static sf_count_t size(void* self) { return static_cast<sf_count_t>(static_cast<MemoryFile*>(self)->bytes->size()); }
  static sf_count_t seek(sf_count_t offset, int whence, void* self) {
    auto* m = static_cast<MemoryFile*>(self);
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : size(self);
    m->pos = std::clamp<sf_count_t>(base + offset, 0, size(self));
    return m->pos;
  }
  static sf_count_t read(void* ptr, sf_count_t count, void* self) {
    auto* m = static_cast<MemoryFile*>(self);
    sf_count_t n = std::clamp<sf_count_t>(size(self) - m->pos, 0, count);
    std::memcpy(ptr, m->bytes->data() + m->pos, static_cast<size_t>(n));
    m->pos += n;
    return n;
  }
  static sf_count_t write(const void*, sf_count_t, void*) { return 0; }
  static sf_count_t tell(void* self) { return static_cast<MemoryFile*>(self)->pos; }
};

// libsndfile repairs a WAV whose data chunk claims more bytes than the file holds
// and only logs "data : CLAIMED (should be ACTUAL)". That is a truncated file to
// us, except for 0xFFFFFFFF: the size streaming writers (ffmpeg to a pipe) put
// there because they cannot know it.
bool header_overstates_data(SNDFILE* sf) {
  char log[8192] = {0};
  sf_command(sf, SFC_GET_LOG_INFO, log, sizeof log);
  for (const char* line = log; line && *line; line = std::strchr(line, '\n') ? std::strchr(line, '\n') + 1 : nullptr) {
    unsigned long long claimed = 0, actual = 0;
    if (std::sscanf(line, "data : %llu (should be %llu)", &claimed, &actual) == 2)
      return claimed > actual && claimed != 0xffffffffull;
  }
  return false;
}

}  // namespace

Encoding parse_encoding(std::string_view name) {
  if (name == "s16le" || name == "pcm_s16le") return Encoding::s16le;
  if (name == "f32le" || name == "pcm_f32le") return Encoding::f32le;
  if (name == "mulaw" || name == "ulaw" || name == "pcmu" || name == "mu-law") return Encoding::mulaw;
  if (name == "alaw" || name == "pcma" || name == "a-law") return Encoding::alaw;
  throw Error("unknown raw encoding '" + std::string(name) + "' (expected s16le, f32le, mulaw or alaw)");
}

const char* encoding_name(Encoding e) {
  switch (e) {
    case Encoding::s16le: return "s16le";
    case Encoding::f32le: return "f32le";
    case Encoding::mulaw: return "mulaw";
    case Encoding::alaw: return "alaw";
  }
  return "?";
}

size_t bytes_per_sample(Encoding e) {
  switch (e) {
    case Encoding::s16le: return 2;
    case Encoding::f32le: return 4;
    case Encoding::mulaw:
    case Encoding::alaw: return 1;
  }
  return 1;
}

void validate_format(int sample_rate, int channels, const std::string& where) {
  if (sample_rate < 1000 || sample_rate > kMaxSampleRate)
    throw Error(where + ": sample rate " + std::to_string(sample_rate) + " Hz is out of range (1000.." +
                std::to_string(kMaxSampleRate) + ")");
  if (channels < 1 || channels > kMaxChannels)
    throw Error(where + ": channel count " + std::to_string(channels) + " is out of range (1.." +
                std::to_string(kMaxChannels) + ")");
}

// G.711 (ITU-T): 8-bit codes expand to 14-bit (µ-law) or 13-bit (A-law) linear
// values; both are scaled to 16-bit full scale, as libsndfile and SoX do.
float decode_mulaw(uint8_t code) {
  int u = ~code & 0xff;
  int t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  int v = (u & 0x80) ? (0x84 - t) : (t - 0x84);
  return static_cast<float>(v) / 32768.0f;
}

float decode_alaw(uint8_t code) {
  int a = code ^ 0x55;
  int t = (a & 0x0f) << 4;
  int seg = (a & 0x70) >> 4;
  if (seg == 0) t += 8;
  else if (seg == 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  int v = (a & 0x80) ? t : -t;
  return static_cast<float>(v) / 32768.0f;
}

struct Converter::Impl {
  int rate = 0;
  int channels = 0;
  int out_rate = kModelSampleRate;
  soxr_t soxr = nullptr;           // null when the input is already at out_rate
  std::vector<uint8_t> carry;      // bytes of an incomplete frame from push_bytes
  std::vector<float> frames;       // interleaved decode scratch
  std::vector<float> mono;         // downmixed scratch
  int64_t produced = 0;

  void append(std::vector<float>& out, const float* data, size_t n) {
    produced += static_cast<int64_t>(n);
    if (produced > kMaxOutputSamples)
      throw Error("audio longer than " + std::to_string(kMaxOutputSamples / kModelSampleRate / 3600) +
                  " hours: refusing to hold it in memory");
    out.insert(out.end(), data, data + n);
  }

  void resample(const float* in, size_t n, std::vector<float>& out) {
    if (!soxr) {
      append(out, in, n);
      return;
    }
    // soxr may stop early when the output block is full: loop until it has taken
    // all input and has no more to give.
    float buf[4096];
    size_t used = 0;
    for (;;) {
      size_t done_in = 0, done_out = 0;
      soxr_error_t err = soxr_process(soxr, in + used, n - used, &done_in, buf, std::size(buf), &done_out);
      if (err) throw Error(std::string("resampler (libsoxr): ") + err);
      append(out, buf, done_out);
      used += done_in;
      if (used >= n && done_out < std::size(buf)) break;
    }
  }

  // End of input (a null input for soxr): the samples still inside its filter.
  void drain(std::vector<float>& out) {
    if (!soxr) return;
    float buf[4096];
    size_t done_out = 0;
    do {
      soxr_error_t err = soxr_process(soxr, nullptr, 0, nullptr, buf, std::size(buf), &done_out);
      if (err) throw Error(std::string("resampler (libsoxr): ") + err);
      append(out, buf, done_out);
    } while (done_out > 0);
  }
};

Converter::Converter(int input_rate, int channels, int output_rate) : impl_(std::make_unique<Impl>()) {
  validate_format(input_rate, channels, "audio input");
  validate_format(output_rate, 1, "audio output");
  impl_->rate = input_rate;
  impl_->channels = channels;
  impl_->out_rate = output_rate;
  if (input_rate != output_rate) {
    soxr_error_t err = nullptr;
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_VHQ, 0);
    soxr_runtime_spec_t rt = soxr_runtime_spec(1);
    impl_->soxr = soxr_create(input_rate, output_rate, 1, &err, &io, &q, &rt);
    if (err || !impl_->soxr)
      throw Error("resampler (libsoxr): cannot convert " + std::to_string(input_rate) + " Hz to " +
                  std::to_string(output_rate) + " Hz: " + (err ? err : "unknown error"));
  }
}

Converter::~Converter() {
  if (impl_ && impl_->soxr) soxr_delete(impl_->soxr);
}
Converter::Converter(Converter&&) noexcept = default;
Converter& Converter::operator=(Converter&&) noexcept = default;

int Converter::input_rate() const { return impl_->rate; }
int Converter::channels() const { return impl_->channels; }

void Converter::push(std::span<const float> interleaved, std::vector<float>& out) {
  Impl& m = *impl_;
  const size_t ch = static_cast<size_t>(m.channels);
  if (interleaved.size() % ch != 0)
    throw Error("audio input: " + std::to_string(interleaved.size()) + " samples is not a whole number of " +
                std::to_string(ch) + "-channel frames");
  const size_t frames = interleaved.size() / ch;
  const float* src = interleaved.data();
  if (ch > 1) {
    m.mono.resize(frames);
    const float inv = 1.0f / static_cast<float>(ch);
    for (size_t f = 0; f < frames; ++f) {
      float s = 0;
      for (size_t c = 0; c < ch; ++c) s += src[f * ch + c];
      m.mono[f] = s * inv;
    }
    src = m.mono.data();
  }
  if (frames > 0) m.resample(src, frames, out);
}

void Converter::push_bytes(std::span<const uint8_t> bytes, Encoding encoding, std::vector<float>& out) {
  Impl& m = *impl_;
  const size_t sample_bytes = bytes_per_sample(encoding);
  const size_t frame_bytes = sample_bytes * static_cast<size_t>(m.channels);
  // Join the carried partial frame with the new bytes, decode whole frames only.
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  std::vector<uint8_t> joined;
  if (!m.carry.empty()) {
    joined = m.carry;
    joined.insert(joined.end(), bytes.begin(), bytes.end());
    p = joined.data();
    n = joined.size();
  }
  const size_t whole = n / frame_bytes * frame_bytes;
  const size_t samples = whole / sample_bytes;
  m.frames.resize(samples);
  for (size_t i = 0; i < samples; ++i) {
    const uint8_t* s = p + i * sample_bytes;
    switch (encoding) {
      case Encoding::s16le:
        m.frames[i] = static_cast<float>(static_cast<int16_t>(static_cast<uint16_t>(s[0] | (s[1] << 8)))) / 32768.0f;
        break;
      case Encoding::f32le: {
        uint32_t bits = static_cast<uint32_t>(s[0]) | (static_cast<uint32_t>(s[1]) << 8) |
                        (static_cast<uint32_t>(s[2]) << 16) | (static_cast<uint32_t>(s[3]) << 24);
        float v;
        std::memcpy(&v, &bits, 4);
        // NaN or infinity would poison every later window (the model state too).
        m.frames[i] = std::isfinite(v) ? v : 0.0f;
        break;
      }
      case Encoding::mulaw: m.frames[i] = decode_mulaw(s[0]); break;
      case Encoding::alaw: m.frames[i] = decode_alaw(s[0]); break;
    }
  }
  m.carry.assign(p + whole, p + n);
  push(m.frames, out);  // push() downmixes into m.mono, so m.frames can be its input
}

void Converter::finish(std::vector<float>& out) {
  Impl& m = *impl_;
  m.carry.clear();
  m.drain(out);
  // Ready for a new stream at the same rate.
  if (m.soxr) soxr_clear(m.soxr);
}

std::vector<float> read_audio(const std::string& path, int output_rate, int* file_rate) {
  const std::string where = where_of(path);
  std::vector<uint8_t> bytes = read_all_bytes(path);
  if (bytes.empty()) throw Error(where + ": empty input (0 bytes)");
  MemoryFile mem{&bytes};
  SF_VIRTUAL_IO io{&MemoryFile::size, &MemoryFile::seek, &MemoryFile::read, &MemoryFile::write, &MemoryFile::tell};
  SF_INFO info{};
  SNDFILE* sf = sf_open_virtual(&io, SFM_READ, &info, &mem);
  if (!sf)
    throw Error(where + ": not a readable audio file (" + sf_strerror(nullptr) +
                "); for headerless samples give --raw ENCODING --rate HZ");
  struct Closer {
    SNDFILE* sf;
    ~Closer() { sf_close(sf); }
  } closer{sf};
  validate_format(info.samplerate, info.channels, where);
  if (info.frames <= 0) throw Error(where + ": no audio samples in the file");
  if (info.frames > kMaxOutputSamples * 48)
    throw Error(where + ": header claims " + std::to_string(info.frames) + " frames, more than any real input");
  if (header_overstates_data(sf))
    throw Error(where + ": truncated: the header promises more audio than the file holds");

  if (file_rate) *file_rate = info.samplerate;
  const int rate = output_rate > 0 ? output_rate : info.samplerate;
  Converter conv(info.samplerate, info.channels, rate);
  std::vector<float> out;
  out.reserve(static_cast<size_t>(static_cast<double>(info.frames) * rate / info.samplerate) + 1024);
  std::vector<float> block(static_cast<size_t>(8192) * static_cast<size_t>(info.channels));
  sf_count_t total = 0;
  for (;;) {
    sf_count_t got = sf_readf_float(sf, block.data(), 8192);
    if (got <= 0) break;
    total += got;
    conv.push(std::span<const float>(block.data(), static_cast<size_t>(got) * static_cast<size_t>(info.channels)), out);
  }
  if (sf_error(sf) != SF_ERR_NO_ERROR) throw Error(where + ": decoding failed: " + sf_strerror(sf));
  if (total < info.frames)
    throw Error(where + ": truncated: header says " + std::to_string(info.frames) + " frames, only " +
                std::to_string(total) + " could be read");
  conv.finish(out);
  for (float& v : out)
    if (!std::isfinite(v)) v = 0.0f;
  return out;
}

std::vector<float> read_raw_audio(const std::string& path, const RawFormat& format, int output_rate) {
  const std::string where = where_of(path);
  validate_format(format.sample_rate, format.channels, where);
  std::vector<uint8_t> bytes = read_all_bytes(path);
  if (bytes.empty()) throw Error(where + ": empty input (0 bytes)");
  const size_t frame_bytes = bytes_per_sample(format.encoding) * static_cast<size_t>(format.channels);
  if (bytes.size() % frame_bytes != 0)
    throw Error(where + ": truncated: " + std::to_string(bytes.size()) + " bytes is not a whole number of " +
                std::to_string(frame_bytes) + "-byte " + encoding_name(format.encoding) + " frames (" +
                std::to_string(format.channels) + " channel(s))");
  const int rate = output_rate > 0 ? output_rate : format.sample_rate;
  Converter conv(format.sample_rate, format.channels, rate);
  std::vector<float> out;
  out.reserve(static_cast<size_t>(static_cast<double>(bytes.size() / frame_bytes) * rate / format.sample_rate) +
              1024);
  conv.push_bytes(bytes, format.encoding, out);
  conv.finish(out);
  return out;
}

}  // namespace saywhen::audio
