// saywhen listen: the turn engine on the live microphone (PortAudio), printing
// events as they happen with the decision latency.
#include <portaudio.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "saywhen/turn.h"

namespace saywhen::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

// Audio handed from PortAudio's callback thread to the engine thread.
struct Capture {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<float> pending;
  int channels = 1;
};

int capture_callback(const void* input, void*, unsigned long frames, const PaStreamCallbackTimeInfo*,
                     PaStreamCallbackFlags, void* user) {
  auto* cap = static_cast<Capture*>(user);
  const auto* in = static_cast<const float*>(input);
  if (in) {
    std::lock_guard<std::mutex> lock(cap->mu);
    cap->pending.insert(cap->pending.end(), in, in + frames * static_cast<unsigned long>(cap->channels));
  }
  cap->cv.notify_one();
  return g_stop ? paComplete : paContinue;
}

// PortAudio's own errors, as one line naming what failed.
void check(PaError err, const char* what) {
  if (err != paNoError) throw Error(std::string("microphone: ") + what + ": " + Pa_GetErrorText(err));
}

struct PortAudioSession {
  PortAudioSession() { check(Pa_Initialize(), "cannot initialise PortAudio"); }
  ~PortAudioSession() { Pa_Terminate(); }
};

// 16-bit PCM WAV of one turn.
void write_wav(const std::string& path, const std::vector<float>& pcm, int rate) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw Error(path + ": cannot create");
  auto u32 = [&](uint32_t v) { std::fwrite(&v, 4, 1, f); };
  auto u16 = [&](uint16_t v) { std::fwrite(&v, 2, 1, f); };
  const auto bytes = static_cast<uint32_t>(pcm.size() * 2);
  std::fwrite("RIFF", 1, 4, f), u32(36 + bytes), std::fwrite("WAVEfmt ", 1, 8, f), u32(16), u16(1), u16(1);
  u32(static_cast<uint32_t>(rate)), u32(static_cast<uint32_t>(rate * 2)), u16(2), u16(16);
  std::fwrite("data", 1, 4, f), u32(bytes);
  for (float x : pcm) {
    const auto s = static_cast<int16_t>(std::lround(std::clamp(x, -1.0f, 1.0f) * 32767.0f));
    std::fwrite(&s, 2, 1, f);
  }
  std::fclose(f);
}

}  // namespace

void add_listen(CLI::App& app) {
  auto* cmd = app.add_subcommand("listen", "Turn events from the live microphone, as they happen (Ctrl-C stops)");
  static std::string preset = "saywhen", models_dir, save_dir;
  static std::vector<std::string> sets;
  static int device = -1;
  static bool list = false;
  static double seconds = 0;
  cmd->add_flag("--list-devices", list, "List input devices and exit");
  cmd->add_option("--device", device, "Input device index (default: the system's default input)");
  cmd->add_option("--preset", preset, "Policy preset: saywhen or pipecat")->default_val(preset);
  cmd->add_option("--set", sets, "KEY=VALUE: override a preset parameter");
  cmd->add_option("--models", models_dir, "Models folder");
  cmd->add_option("--save-turns", save_dir, "Write each turn's audio to DIR/turn-N.wav");
  cmd->add_option("--seconds", seconds, "Stop after this many seconds (default: until Ctrl-C)");
  cmd->callback([] {
    PortAudioSession pa;
    const int count = Pa_GetDeviceCount();
    if (count < 0) check(count, "cannot list devices");
    if (list) {
      for (int i = 0; i < count; ++i) {
        const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
        if (info && info->maxInputChannels > 0)
          std::printf("%d: %s (%d ch, %.0f Hz)%s\n", i, info->name, info->maxInputChannels, info->defaultSampleRate,
                      i == Pa_GetDefaultInputDevice() ? " [default]" : "");
      }
      return;
    }
    const int dev = device >= 0 ? device : Pa_GetDefaultInputDevice();
    if (dev == paNoDevice || dev < 0 || dev >= count)
      throw Error(device >= 0 ? "microphone: no input device " + std::to_string(device) + " (see --list-devices)"
                              : std::string("microphone: no input device found (see --list-devices)"));
    const PaDeviceInfo* info = Pa_GetDeviceInfo(dev);
    if (!info || info->maxInputChannels < 1)
      throw Error("microphone: device " + std::to_string(dev) + " has no input channels");

    turn::StreamOptions so;
    so.preset = preset;
    for (const std::string& kv : sets) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) throw Error("--set '" + kv + "': expected KEY=VALUE");
      so.settings[kv.substr(0, eq)] = std::stod(kv.substr(eq + 1));
    }
    const int rate = static_cast<int>(info->defaultSampleRate);
    so.sample_rate = rate;
    so.channels = 1;
    turn::EngineOptions eo;
    eo.models_dir = models_dir;
    turn::Stream stream(turn::Engine::load(eo), so);
    if (!save_dir.empty()) std::filesystem::create_directories(save_dir);

    Capture cap;
    PaStreamParameters in{};
    in.device = dev;
    in.channelCount = 1;
    in.sampleFormat = paFloat32;
    in.suggestedLatency = info->defaultLowInputLatency;
    PaStream* pstream = nullptr;
    check(Pa_OpenStream(&pstream, &in, nullptr, rate, 320, paClipOff, capture_callback, &cap), "cannot open input");
    std::signal(SIGINT, on_signal);
    check(Pa_StartStream(pstream), "cannot start input");
    std::fprintf(stderr, "listening on %s at %d Hz (Ctrl-C stops)\n", info->name, rate);

    std::vector<float> chunk, turn_audio;
    int turns = 0;
    const auto start = std::chrono::steady_clock::now();
    while (!g_stop) {
      {
        std::unique_lock<std::mutex> lock(cap.mu);
        cap.cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return !cap.pending.empty(); });
        chunk.swap(cap.pending);
        cap.pending.clear();
      }
      if (seconds > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= seconds)
        g_stop = true;
      if (chunk.empty()) continue;
      if (!save_dir.empty()) turn_audio.insert(turn_audio.end(), chunk.begin(), chunk.end());
      const auto t0 = std::chrono::steady_clock::now();
      stream.push(chunk);
      for (const auto& e : stream.take_events()) {
        nlohmann::json j{{"event", turn::event_name(e.type)}, {"t", std::round(e.t * 1000) / 1000}};
        if (!std::isnan(e.score)) j["score"] = std::round(e.score * 1000) / 1000;
        if (!e.reason.empty()) j["reason"] = e.reason;
        // Decision latency: from the audio that triggered it arriving to the event being out.
        j["latency_ms"] = std::round(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                                         .count() * 10) / 10;
        std::printf("%s\n", j.dump().c_str());
        std::fflush(stdout);
        if (e.type == turn::EventType::end_of_turn && !save_dir.empty()) {
          write_wav(save_dir + "/turn-" + std::to_string(++turns) + ".wav", turn_audio, rate);
          turn_audio.clear();
        }
      }
    }
    Pa_StopStream(pstream);
    Pa_CloseStream(pstream);
  });
}

}  // namespace saywhen::cli
