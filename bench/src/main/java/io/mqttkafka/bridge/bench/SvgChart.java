package io.mqttkafka.bridge.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One line chart as inline SVG, for {@code bench report --html}: a few series over shared axes, the
 * y axis from zero, ticks at round values (or the x ticks given, for a percentile axis), a legend.
 * Pure text, no script: the report opens in any browser, offline.
 */
final class SvgChart {

  /** One line: its name in the legend, its colour, its points (same length). */
  record Series(String name, String color, double[] xs, double[] ys) {
  }

  /** A tick on the x axis: where, and what it says. */
  record Tick(double at, String label) {
  }

  static final int WIDTH = 440;
  static final int HEIGHT = 270;
  private static final int LEFT = 62;
  private static final int RIGHT = 12;
  private static final int TOP = 28;
  private static final int BOTTOM = 58;

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final List<Series> series = new ArrayList<>();
  private List<Tick> xTicks;

  SvgChart(String title, String xLabel, String yLabel) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  SvgChart add(Series s) {
    if (s.xs().length > 0) {
      series.add(s);
    }
    return this;
  }

  /** Fixed x ticks instead of round values (the axis then spans the first to the last). */
  SvgChart xTicks(List<Tick> ticks) {
    this.xTicks = ticks;
    return this;
  }

  boolean isEmpty() {
    return series.isEmpty();
  }

  String render() {
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "viewBox=\"0 0 %d %d\" class=\"chart\">", WIDTH, HEIGHT, WIDTH, HEIGHT));
    svg.append(text(WIDTH / 2.0, 16, "middle", "title", title));
    if (series.isEmpty()) {
      svg.append(text(WIDTH / 2.0, HEIGHT / 2.0, "middle", "empty", "no data in this run")).append("</svg>");
      return svg.toString();
    }
    double xMin = xTicks != null ? xTicks.get(0).at() : min(true);
    double xMax = xTicks != null ? xTicks.get(xTicks.size() - 1).at() : max(true);
    double yMax = niceCeiling(max(false));
    if (xMax <= xMin) {
      xMax = xMin + 1;
    }
    double plotW = WIDTH - LEFT - RIGHT;
    double plotH = HEIGHT - TOP - BOTTOM;
    Axis x = new Axis(xMin, xMax, LEFT, LEFT + plotW);
    Axis y = new Axis(0, yMax, TOP + plotH, TOP);
    List<Tick> xs = xTicks != null ? xTicks : roundTicks(xMin, xMax);
    for (Tick t : xs) {
      double px = x.at(t.at());
      svg.append(line(px, TOP, px, TOP + plotH, "grid")).append(text(px, TOP + plotH + 14, "middle", "tick", t.label()));
    }
    for (Tick t : roundTicks(0, yMax)) {
      double py = y.at(t.at());
      svg.append(line(LEFT, py, LEFT + plotW, py, "grid")).append(text(LEFT - 4, py + 4, "end", "tick", t.label()));
    }
    svg.append(line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, "axis")).append(line(LEFT, TOP, LEFT, TOP + plotH, "axis"));
    svg.append(text(LEFT + plotW / 2, TOP + plotH + 30, "middle", "label", xLabel));
    svg.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%.1f\" text-anchor=\"middle\" class=\"label\" "
        + "transform=\"rotate(-90 12 %.1f)\">%s</text>", TOP + plotH / 2, TOP + plotH / 2, HtmlReport.escape(yLabel)));
    double legendX = LEFT;
    for (Series s : series) {
      StringBuilder points = new StringBuilder();
      for (int i = 0; i < s.xs().length; i++) {
        if (!Double.isNaN(s.ys()[i])) {
          points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.at(s.xs()[i]), y.at(s.ys()[i])));
        }
      }
      svg.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(s.color()).append("\" points=\"")
          .append(points.toString().trim()).append("\"/>");
      double ly = HEIGHT - 10;
      svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"%s\"/>",
          legendX, ly - 5, s.color()));
      svg.append(text(legendX + 18, ly, "start", "legend", s.name()));
      legendX += 24 + 6.5 * s.name().length();
    }
    return svg.append("</svg>").toString();
  }

  /** Maps data values onto pixels. */
  private record Axis(double min, double max, double from, double to) {
    double at(double v) {
      double clamped = Math.max(min, Math.min(max, v));
      return from + (clamped - min) / (max - min) * (to - from);
    }
  }

  private double min(boolean onX) {
    double m = Double.POSITIVE_INFINITY;
    for (Series s : series) {
      for (double v : onX ? s.xs() : s.ys()) {
        m = Double.isNaN(v) ? m : Math.min(m, v);
      }
    }
    return m == Double.POSITIVE_INFINITY ? 0 : m;
  }

  private double max(boolean onX) {
    double m = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (double v : onX ? s.xs() : s.ys()) {
        m = Double.isNaN(v) ? m : Math.max(m, v);
      }
    }
    return m == Double.NEGATIVE_INFINITY ? 1 : m;
  }

  /** The smallest 1, 2 or 5 times a power of ten at least {@code v} (1 for nothing above zero). */
  static double niceCeiling(double v) {
    if (!(v > 0)) {
      return 1;
    }
    double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
    for (double step : new double[] {1, 2, 5, 10}) {
      if (step * magnitude >= v) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }

  /** About five ticks at round values from {@code min} to {@code max}. */
  static List<Tick> roundTicks(double min, double max) {
    double step = niceCeiling((max - min) / 5);
    List<Tick> ticks = new ArrayList<>();
    for (double v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
      ticks.add(new Tick(v, label(v)));
    }
    return ticks;
  }

  static String label(double v) {
    double abs = Math.abs(v);
    if (abs >= 1_000_000) {
      return trim(v / 1_000_000) + "M";
    }
    if (abs >= 1_000) {
      return trim(v / 1_000) + "k";
    }
    return trim(v);
  }

  private static String trim(double v) {
    return java.math.BigDecimal.valueOf(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
  }

  private static String line(double x1, double y1, double x2, double y2, String cls) {
    return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"%s\"/>",
        x1, y1, x2, y2, cls);
  }

  private static String text(double x, double y, String anchor, String cls, String content) {
    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">%s</text>",
        x, y, anchor, cls, HtmlReport.escape(content));
  }
}
