package io.mqttkafka.bridge.topic;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;

/**
 * The one template language of the uplink rules: a Kafka topic or record key made of literal text and
 * references, compiled once against the rule's {@link TopicPattern} and rendered per message.
 * <ul>
 *   <li>{@code $n}: capturing group n of the match ({@code $0} is the whole MQTT topic); a group that
 *       did not take part renders as "". The digits after '$' are read greedily (at most 9), and the
 *       number must be a group of the regex: with two groups {@code $12} is an error, not group 1
 *       followed by "2".
 *   <li>{@value #CLIENT_ID}: the MQTT client id; {@value #USERNAME}: the authenticated user name.
 *   <li>{@code $$}: a literal '$'.
 * </ul>
 * Anything else after a '$' is an error. This class is also the one home of the placeholder names,
 * which rule regexes ({@link TopicPattern}) and downlink filter templates ({@link TopicFilter#expand})
 * use too.
 *
 * <p>Immutable. Rendering uses at most one StringBuilder, and none for a constant template or a
 * template that is a single reference.
 */
public final class TopicTemplate {

  /** Stands for the connection's MQTT client id. */
  public static final String CLIENT_ID = "${clientId}";
  /** Stands for the connection's authenticated user name. */
  public static final String USERNAME = "${username}";

  private static final String KNOWN = "(known: " + CLIENT_ID + ", " + USERNAME + ")";
  private static final int CLIENT_ID_REF = -1;
  private static final int USERNAME_REF = -2;
  /** Like the configuration always did: a group number has at most 9 digits, so it cannot overflow. */
  private static final int MAX_GROUP_DIGITS = 9;
  /** What every reference renders as when a template is probed. */
  private static final String PROBE_VALUE = "x";

  private final String text;
  /** Literal parts around references: {@code literals[i]} precedes {@code refs[i]}, one literal more. */
  private final String[] literals;
  /** Group number, CLIENT_ID_REF or USERNAME_REF. */
  private final int[] refs;
  private final int literalLength;

  private TopicTemplate(String text, String[] literals, int[] refs) {
    this.text = text;
    this.literals = literals;
    this.refs = refs;
    int length = 0;
    for (String literal : literals) {
      length += literal.length();
    }
    this.literalLength = length;
  }

  /**
   * Compiles {@code template} for the rule whose regex is {@code match}.
   *
   * @throws IllegalArgumentException whose message says what is wrong, phrased to follow the name of
   *     the template ("uses $3 but match ... has 2 group(s)")
   */
  public static TopicTemplate compile(String template, TopicPattern match) {
    List<String> literals = new ArrayList<>();
    List<Integer> refs = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      char c = template.charAt(i);
      char next = i + 1 < template.length() ? template.charAt(i + 1) : 0;
      int ref;
      if (c != '$') {
        literal.append(c);
        i++;
        continue;
      } else if (next == '$') {
        literal.append('$');
        i += 2;
        continue;
      } else if (template.startsWith(CLIENT_ID, i)) {
        ref = CLIENT_ID_REF;
        i += CLIENT_ID.length();
      } else if (template.startsWith(USERNAME, i)) {
        ref = USERNAME_REF;
        i += USERNAME.length();
      } else if (isDigit(next)) {
        int end = i + 1;
        while (end < template.length() && end - i <= MAX_GROUP_DIGITS && isDigit(template.charAt(end))) {
          end++;
        }
        ref = Integer.parseInt(template, i + 1, end, 10);
        if (ref > match.groups()) {
          throw new IllegalArgumentException("uses " + template.substring(i, end) + " but match \"" + match.regex()
              + "\" has " + match.groups() + " group(s)");
        }
        i = end;
      } else if (next == '{') {
        throw unknownPlaceholder(template, i);
      } else {
        throw new IllegalArgumentException("has a '$' at index " + i
            + " without a group number after it (write $$ for a literal '$')");
      }
      literals.add(literal.toString());
      literal.setLength(0);
      refs.add(ref);
    }
    literals.add(literal.toString());
    return new TopicTemplate(template, literals.toArray(String[]::new),
        refs.stream().mapToInt(Integer::intValue).toArray());
  }

  /**
   * Checks that every {@code ${...}} in {@code text} (a rule's regex, a downlink filter template) is
   * {@value #CLIENT_ID} or {@value #USERNAME}.
   *
   * @throws IllegalArgumentException naming the first unknown placeholder
   */
  public static void checkPlaceholders(String text) {
    for (int at = text.indexOf("${"); at >= 0; at = text.indexOf("${", at + 2)) {
      if (!text.startsWith(CLIENT_ID, at) && !text.startsWith(USERNAME, at)) {
        throw unknownPlaceholder(text, at);
      }
    }
  }

  /**
   * Replaces {@value #CLIENT_ID} and {@value #USERNAME} in one pass, unchecked: a value that itself
   * contains a placeholder stays as it is, and so does {@value #USERNAME} when {@code username} is
   * null, and any other {@code ${...}}.
   */
  public static String fill(String text, String clientId, String username) {
    int next = text.indexOf("${");
    if (next < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 32);
    int from = 0;
    while (next >= 0) {
      if (text.startsWith(CLIENT_ID, next)) {
        out.append(text, from, next).append(clientId);
        from = next + CLIENT_ID.length();
      } else if (text.startsWith(USERNAME, next) && username != null) {
        out.append(text, from, next).append(username);
        from = next + USERNAME.length();
      } else {
        out.append(text, from, next + 2);
        from = next + 2;
      }
      next = text.indexOf("${", from);
    }
    return out.append(text, from, text.length()).toString();
  }

  private static IllegalArgumentException unknownPlaceholder(String text, int at) {
    int close = text.indexOf('}', at);
    String shown = close < 0 ? text.substring(at) : text.substring(at, close + 1);
    return new IllegalArgumentException("has unknown placeholder " + shown + " " + KNOWN);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /**
   * Renders the template for one match.
   *
   * @param m        the matcher that matched the MQTT topic; its groups fill {@code $n}
   * @param clientId fills {@value #CLIENT_ID}
   * @param username fills {@value #USERNAME}; the caller checked it is there when {@link #usesUsername}
   */
  public String render(Matcher m, String clientId, String username) {
    if (refs.length == 0) {
      return literals[0];
    }
    if (refs.length == 1 && literalLength == 0) {
      return value(refs[0], m, clientId, username);
    }
    StringBuilder out = new StringBuilder(literalLength + 16 * refs.length);
    for (int i = 0; i < refs.length; i++) {
      out.append(literals[i]).append(value(refs[i], m, clientId, username));
    }
    return out.append(literals[refs.length]).toString();
  }

  /** The template with every reference rendered as "x": checks at start-up what its literals allow. */
  public String probe() {
    return render(null, PROBE_VALUE, PROBE_VALUE);
  }

  /** A group's value, or the client id in place of every group when probing ({@code m} null). */
  private static String value(int ref, Matcher m, String clientId, String username) {
    if (ref >= 0) {
      if (m == null) {
        return clientId;
      }
      String group = m.group(ref);
      return group == null ? "" : group;
    }
    return ref == CLIENT_ID_REF ? clientId : username;
  }

  /** Whether {@value #USERNAME} appears: the template cannot be rendered for an anonymous client. */
  public boolean usesUsername() {
    for (int ref : refs) {
      if (ref == USERNAME_REF) {
        return true;
      }
    }
    return false;
  }

  /** Whether the template has no reference: it always renders {@link #text()} ($$ resolved). */
  public boolean isConstant() {
    return refs.length == 0;
  }

  /** The template as configured. */
  public String text() {
    return text;
  }

  @Override
  public String toString() {
    return text;
  }
}
