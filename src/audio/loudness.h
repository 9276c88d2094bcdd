// ITU-R BS.1770 loudness of one gating block, the "volume" Pipecat's VAD gates on.
#pragma once

#include <span>

namespace saywhen::audio {

// Integrated loudness in LUFS of `block` (mono, [-1, 1]) taken as one BS.1770 gating
// block: K-weighting filter from rest, mean square, absolute gate at -70 LUFS, the
// result quantised to the centre of its 0.1 LU histogram bin as histogram-mode
// meters report it. -infinity when the block is below the gate.
double bs1770_block_loudness(std::span<const float> block, int sample_rate);

}  // namespace saywhen::audio
