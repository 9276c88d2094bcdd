// Silero VAD streaming (see include/saywhen/vad.h).
//
// SpeechSegmenter is silero-vad 6.2.3's get_speech_timestamps_from_probs turned inside
// out: the main loop runs one window per push(), and the padding pass that Python runs
// over the finished list is applied to each pair of neighbouring segments as soon as
// the second one exists, or earlier, once no segment that can still appear could start
// within 2 * pad of the pending one (then its padding no longer depends on what follows).
// Every comparison is made in double on the same values Python compares (a float32
// probability widened to double against double thresholds), and every sample count is
// truncated where Python calls int(), so the segments match to the sample.

#include "saywhen/vad.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include "saywhen/models.h"

namespace saywhen::audio {
namespace {

// Python's a // b for b = 2, also for negative a.
int64_t floor_half(int64_t a) { return a >= 0 ? a / 2 : -((-a + 1) / 2); }

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

// ---- options -----------------------------------------------------------------

double VadOptions::effective_neg_threshold() const {
  return neg_threshold < 0 ? std::max(threshold - 0.15, 0.01) : neg_threshold;
}

void VadOptions::validate() const {
  auto fail = [](const std::string& field, double v, const char* want) {
    throw Error("VAD option " + field + " = " + num(v) + ": must be " + want);
  };
  if (!(threshold >= 0 && threshold <= 1)) fail("threshold", threshold, "in [0, 1]");
  if (std::isnan(neg_threshold) || neg_threshold > threshold)
    fail("neg_threshold", neg_threshold, "at most threshold (or negative for threshold - 0.15)");
  if (!(min_speech_ms >= 0 && std::isfinite(min_speech_ms))) fail("min_speech_ms", min_speech_ms, "finite and >= 0");
  if (!(min_silence_ms >= 0 && std::isfinite(min_silence_ms)))
    fail("min_silence_ms", min_silence_ms, "finite and >= 0");
  if (!(speech_pad_ms >= 0 && std::isfinite(speech_pad_ms))) fail("speech_pad_ms", speech_pad_ms, "finite and >= 0");
  if (!(max_speech_s > 0)) fail("max_speech_s", max_speech_s, "> 0");
  if (!(min_silence_at_max_speech_ms >= 0 && std::isfinite(min_silence_at_max_speech_ms)))
    fail("min_silence_at_max_speech_ms", min_silence_at_max_speech_ms, "finite and >= 0");
}

// ---- model -------------------------------------------------------------------

int VadModel::window_samples(int sample_rate) {
  if (sample_rate == 16000) return 512;
  if (sample_rate == 8000) return 256;
  throw Error("Silero VAD runs at 16000 or 8000 Hz, not " + std::to_string(sample_rate));
}

int VadModel::context_samples(int sample_rate) { return window_samples(sample_rate) / 8; }

bool VadModel::supports_rate(int sample_rate) const {
  return sample_rate == kSampleRate || (sample_rate == 8000 && has_8k_);
}

std::shared_ptr<const VadModel> VadModel::load(const std::string& path) { return from_model(load_model_file(path)); }

std::shared_ptr<const VadModel> VadModel::from_model(std::shared_ptr<const Model> model) {
  if (!model) throw Error("VadModel: no model given");
  std::shared_ptr<VadModel> m(new VadModel());
  m->model_ = model;
  const std::string& path = model->path();
  for (const auto& in : model->inputs()) {
    if (in.name == "sr") {
      m->rate_in_ = in.name;
    } else if (in.name.rfind("state", 0) == 0 && m->state_in_.empty()) {
      m->state_in_ = in.name;
    } else if (m->audio_in_.empty() && (in.dtype == DType::Float32 || in.dtype == DType::Undefined)) {
      m->audio_in_ = in.name;
    } else {
      throw Error(path + ": not a Silero VAD v5/v6 model: unexpected input '" + in.name + "'");
    }
  }
  if (m->audio_in_.empty() || m->state_in_.empty())
    throw Error(path + ": not a Silero VAD v5/v6 model: needs an audio input and a 'state' input");
  if (model->outputs().size() < 2)
    throw Error(path + ": not a Silero VAD v5/v6 model: needs outputs (probability, state)");
  std::map<std::string, Tensor> fixed;
  if (!m->rate_in_.empty()) {
    Tensor sr(DType::Int64, {});
    sr.data<int64_t>()[0] = kSampleRate;
    fixed[m->rate_in_] = sr;
  }
  // Plans once here, so a bad file fails at load and new streams start without planning.
  model->prepare({{m->audio_in_, {1, VadModel::kContext + VadModel::kWindow}}, {m->state_in_, {2, 1, 128}}}, fixed);
  // silero-vad's OnnxWrapper rule: the single-rate exports say "16k" in their name (and
  // still declare "sr", so the graph alone does not tell).
  const std::string base = std::filesystem::path(path).filename().string();
  if (!m->rate_in_.empty() && base.find("16k") == std::string::npos) {
    fixed[m->rate_in_].data<int64_t>()[0] = 8000;
    try {
      model->prepare({{m->audio_in_, {1, 32 + 256}}, {m->state_in_, {2, 1, 128}}}, fixed);
      m->has_8k_ = true;
    } catch (const Error&) {
      // A dual-rate declaration without a working 8 kHz branch: 16 kHz only.
    }
  }
  return m;
}

// ---- probabilities -------------------------------------------------------------

VadStream::VadStream(std::shared_ptr<const VadModel> model, const SessionOptions& opts, int sample_rate)
    : model_(std::move(model)),
      rate_(sample_rate),
      window_(static_cast<size_t>(VadModel::window_samples(sample_rate))),
      context_(static_cast<size_t>(VadModel::context_samples(sample_rate))),
      x_(context_ + window_, 0.0f),
      state_(DType::Float32, {2, 1, 128}) {
  if (!model_) throw Error("VadStream: no model given");
  if (!model_->supports_rate(rate_))
    throw Error(model_->path() + ": this Silero VAD file runs at 16000 Hz only, not " + std::to_string(rate_));
  session_ = std::make_unique<Session>(model_->model(), opts);
  if (!model_->rate_input().empty()) {
    Tensor sr(DType::Int64, {});
    sr.data<int64_t>()[0] = rate_;
    session_->fix_input(model_->rate_input(), sr);
  }
  // Both inputs are views the session copies from on every run(): set once.
  x_view_ = Tensor::view(DType::Float32, {1, static_cast<int64_t>(x_.size())}, x_.data());
  session_->set_input(model_->audio_input(), x_view_);
  session_->set_input(model_->state_input(), state_);
}

VadStream::~VadStream() = default;

void VadStream::reset() {
  std::fill(x_.begin(), x_.end(), 0.0f);
  std::memset(state_.raw(), 0, state_.nbytes());
  fill_ = 0;
  samples_ = 0;
  windows_ = 0;
}

float VadStream::run_() {
  session_->run();
  const Tensor& p = session_->output(model_->probability_output());
  const Tensor& s = session_->output(model_->state_output());
  if (p.numel() != 1 || s.numel() != state_.numel() || p.dtype() != DType::Float32 || s.dtype() != DType::Float32)
    throw Error(model_->path() + ": Silero VAD outputs have shapes " + shape_str(p.shape()) + " and " +
                shape_str(s.shape()) + ", expected [1,1] and [2,1,128] float32");
  const float prob = p.data<float>()[0];
  // The output is only valid until the next run(): copy the state out now.
  std::memcpy(state_.raw(), s.raw(), state_.nbytes());
  std::memmove(x_.data(), x_.data() + window_, context_ * sizeof(float));
  ++windows_;
  return prob;
}

void VadStream::push(std::span<const float> audio, std::vector<float>& probs) {
  size_t i = 0;
  while (i < audio.size()) {
    const size_t take = std::min(window_ - fill_, audio.size() - i);
    std::memcpy(x_.data() + context_ + fill_, audio.data() + i, take * sizeof(float));
    fill_ += take;
    i += take;
    if (fill_ == window_) {
      probs.push_back(run_());
      fill_ = 0;
    }
  }
  samples_ += static_cast<int64_t>(audio.size());
}

void VadStream::finish(std::vector<float>& probs) {
  if (fill_ > 0) {
    std::fill(x_.begin() + static_cast<std::ptrdiff_t>(context_ + fill_), x_.end(), 0.0f);
    probs.push_back(run_());
  }
  reset();
}

float VadStream::process_window(std::span<const float> window) {
  if (window.size() != window_)
    throw Error("VadStream::process_window: got " + std::to_string(window.size()) + " samples, expected " +
                std::to_string(window_));
  if (fill_ != 0)
    throw Error("VadStream::process_window: " + std::to_string(fill_) +
                " samples from push() are pending; finish() or reset() first");
  std::memcpy(x_.data() + context_, window.data(), window_ * sizeof(float));
  samples_ += static_cast<int64_t>(window_);
  return run_();
}

// ---- segments ------------------------------------------------------------------

SpeechSegmenter::SpeechSegmenter(const VadOptions& options, int sample_rate)
    : opt_(options), rate_(sample_rate), window_size_(VadModel::window_samples(sample_rate)) {
  opt_.validate();
  // The same expressions, in the same order, as get_speech_timestamps_from_probs.
  const double rate = rate_;
  neg_threshold_ = opt_.effective_neg_threshold();
  min_speech_ = rate * opt_.min_speech_ms / 1000;
  speech_pad_ = rate * opt_.speech_pad_ms / 1000;
  max_speech_ = rate * opt_.max_speech_s - window_size_ - 2 * speech_pad_;
  min_silence_ = rate * opt_.min_silence_ms / 1000;
  min_silence_at_max_ = rate * opt_.min_silence_at_max_speech_ms / 1000;
  possible_ends_.reserve(64);
}

void SpeechSegmenter::reset() {
  window_ = 0;
  triggered_ = false;
  start_ = temp_end_ = prev_end_ = next_start_ = 0;
  possible_ends_.clear();
  pending_ = false;
  pend_ = {};
}

void SpeechSegmenter::append_raw(SpeechSegment s, std::vector<SpeechSegment>& out) {
  s.sample_rate = rate_;
  if (pending_) {
    const int64_t gap = s.start - pend_.end;
    if (static_cast<double>(gap) < 2 * speech_pad_) {
      pend_.end += floor_half(gap);
      s.start = static_cast<int64_t>(std::max<double>(0, static_cast<double>(s.start - floor_half(gap))));
    } else {
      // min(audio length, end + pad) is end + pad: s.start <= the samples seen so far.
      pend_.end = static_cast<int64_t>(static_cast<double>(pend_.end) + speech_pad_);
      s.start = static_cast<int64_t>(std::max<double>(0, static_cast<double>(s.start) - speech_pad_));
    }
    out.push_back(pend_);
  } else {
    // The first segment, or the previous one was released with a gap >= 2 * pad: both
    // give max(0, start - pad).
    s.start = static_cast<int64_t>(std::max<double>(0, static_cast<double>(s.start) - speech_pad_));
  }
  pend_ = s;
  pending_ = true;
}

void SpeechSegmenter::maybe_release(int64_t next_start_bound, std::vector<SpeechSegment>& out) {
  if (!pending_) return;
  // The audio is at least this long: every window but the last pushed is full.
  const int64_t min_length = (window_ - 1) * window_size_ + 1;
  const double padded_end = static_cast<double>(pend_.end) + speech_pad_;
  if (static_cast<double>(next_start_bound - pend_.end) >= 2 * speech_pad_ &&
      padded_end <= static_cast<double>(min_length)) {
    pend_.end = static_cast<int64_t>(padded_end);
    out.push_back(pend_);
    pending_ = false;
  }
}

void SpeechSegmenter::push(float prob, std::vector<SpeechSegment>& out) {
  const double p = prob;
  const int64_t cur = window_ * window_size_;
  ++window_;
  const double thr = opt_.threshold;
  auto clear_vars = [this] {
    prev_end_ = next_start_ = temp_end_ = 0;
    possible_ends_.clear();
  };

  [&] {
    if (p >= thr && temp_end_) {
      const int64_t sil = cur - temp_end_;
      if (static_cast<double>(sil) > min_silence_at_max_) possible_ends_.push_back({temp_end_, sil});
      temp_end_ = 0;
      if (next_start_ < prev_end_) next_start_ = cur;
    }
    if (p >= thr && !triggered_) {
      triggered_ = true;
      start_ = cur;
      return;
    }
    if (triggered_ && static_cast<double>(cur - start_) > max_speech_) {
      if (opt_.use_max_possible_silence_at_max_speech && !possible_ends_.empty()) {
        // The longest pause; the first of equals, as Python's max().
        Pause best = possible_ends_.front();
        for (const Pause& e : possible_ends_)
          if (e.duration > best.duration) best = e;
        prev_end_ = best.end;
        append_raw({start_, prev_end_}, out);
        next_start_ = prev_end_ + best.duration;
        // Always true in practice; kept as silero-vad 6.2.3 writes it.
        if (next_start_ < prev_end_ + cur)
          start_ = next_start_;
        else
          triggered_ = false;
        clear_vars();
      } else if (prev_end_) {
        append_raw({start_, prev_end_}, out);
        if (next_start_ < prev_end_)
          triggered_ = false;
        else
          start_ = next_start_;
        clear_vars();
      } else {
        append_raw({start_, cur}, out);
        clear_vars();
        triggered_ = false;
        return;
      }
    }
    if (p < neg_threshold_ && triggered_) {
      if (!temp_end_) temp_end_ = cur;
      const int64_t sil_now = cur - temp_end_;
      if (!opt_.use_max_possible_silence_at_max_speech && static_cast<double>(sil_now) > min_silence_at_max_)
        prev_end_ = temp_end_;
      if (static_cast<double>(sil_now) < min_silence_) return;
      if (static_cast<double>(temp_end_ - start_) > min_speech_) append_raw({start_, temp_end_}, out);
      clear_vars();
      triggered_ = false;
    }
  }();

  // The next segment to be appended starts at the open one's start, or at a window not
  // seen yet.
  maybe_release(triggered_ ? start_ : window_ * window_size_, out);
}

void SpeechSegmenter::finish(int64_t audio_samples, std::vector<SpeechSegment>& out) {
  if (triggered_ && static_cast<double>(audio_samples - start_) > min_speech_)
    append_raw({start_, audio_samples}, out);
  if (pending_) {
    pend_.end = static_cast<int64_t>(
        std::min(static_cast<double>(audio_samples), static_cast<double>(pend_.end) + speech_pad_));
    out.push_back(pend_);
  }
  reset();
}

// ---- audio to segments -----------------------------------------------------------

VadSegmenter::VadSegmenter(std::shared_ptr<const VadModel> model, const VadOptions& options,
                           const SessionOptions& opts, int sample_rate)
    : stream_(std::move(model), opts, sample_rate), seg_(options, sample_rate) {
  scratch_.reserve(64);
}

void VadSegmenter::push(std::span<const float> audio, std::vector<SpeechSegment>& out, std::vector<float>* probs) {
  scratch_.clear();
  stream_.push(audio, scratch_);
  for (float p : scratch_) seg_.push(p, out);
  if (probs) probs->insert(probs->end(), scratch_.begin(), scratch_.end());
}

void VadSegmenter::finish(std::vector<SpeechSegment>& out, std::vector<float>* probs) {
  const int64_t length = stream_.samples_pushed();
  scratch_.clear();
  stream_.finish(scratch_);
  for (float p : scratch_) seg_.push(p, out);
  if (probs) probs->insert(probs->end(), scratch_.begin(), scratch_.end());
  seg_.finish(length, out);
}

void VadSegmenter::reset() {
  stream_.reset();
  seg_.reset();
}

std::vector<SpeechSegment> speech_segments(std::shared_ptr<const VadModel> model, std::span<const float> audio,
                                           const VadOptions& options, int sample_rate) {
  VadSegmenter seg(std::move(model), options, {}, sample_rate);
  std::vector<SpeechSegment> out;
  seg.push(audio, out);
  seg.finish(out);
  return out;
}

}  // namespace saywhen::audio
