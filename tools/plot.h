// A tiny raster canvas for the CLI's plots (confusion matrices, trade-off
// curves): rectangles, lines and text in a built-in 5x7 bitmap font, saved as
// PNG (zlib). No plotting library: the figures are simple and this keeps the
// tool's dependencies at zlib.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace saywhen::plot {

struct Color {
  uint8_t r = 0, g = 0, b = 0;
};
inline constexpr Color kWhite{255, 255, 255};
inline constexpr Color kBlack{0, 0, 0};
inline constexpr Color kGray{128, 128, 128};

// a + (b - a) * t, t clamped to [0, 1].
Color mix(Color a, Color b, double t);
// Black or white, whichever reads better on `background`.
Color text_color_on(Color background);

class Canvas {
 public:
  Canvas(int width, int height, Color background = kWhite);
  int width() const { return w_; }
  int height() const { return h_; }

  void set(int x, int y, Color c);  // ignores points outside
  void fill_rect(int x, int y, int w, int h, Color c);
  void rect(int x, int y, int w, int h, Color c);  // outline
  void line(int x0, int y0, int x1, int y1, Color c, int thickness = 1);
  // Text with its top-left corner at (x, y); characters outside printable
  // ASCII are drawn as '?'. `scale` multiplies the 5x7 glyphs (6x8 cells).
  void text(int x, int y, std::string_view s, Color c, int scale = 1);
  // The same, centred on (cx, cy).
  void text_centered(int cx, int cy, std::string_view s, Color c, int scale = 1);
  // Rotated a quarter turn counter-clockwise (for a y-axis title), centred.
  void text_vertical(int cx, int cy, std::string_view s, Color c, int scale = 1);
  static int text_width(std::string_view s, int scale = 1);
  static int text_height(int scale = 1) { return 8 * scale; }

  // Throws saywhen::Error naming the file when it cannot be written.
  void save_png(const std::string& path) const;
  // The PNG file bytes (8-bit RGB).
  std::string png() const;

 private:
  int w_, h_;
  std::vector<uint8_t> rgb_;
};

}  // namespace saywhen::plot
