// Internals of the log-mel front end (include/saywhen/audio.h), exposed for tests.
#pragma once

#include <vector>

namespace saywhen::audio {

// Slaney-scale, Slaney-normalised triangular mel filters, computed in double the way
// transformers' mel_filter_bank(norm="slaney", mel_scale="slaney") does and rounded to
// float (as the torch path of WhisperFeatureExtractor uses them).
// Returns [n_mels][n_fft / 2 + 1], row-major.
std::vector<float> slaney_mel_filterbank(int n_fft, int n_mels, int sample_rate, double f_min,
                                         double f_max);

// log10(x) for finite x > 0 (normal floats), about 1e-7 absolute error. Exposed so
// the test can check it against the C library over the whole range the front end uses.
float fast_log10(float x);

}  // namespace saywhen::audio
