package dev.roadie.bucket;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import software.amazon.awssdk.utils.DateUtils;

/**
 * The times S3 sends, read as the SDK reads them but without its formatters in the common case: one
 * Last-Modified per object (a response header, a listing entry, a snapshot entry) made the
 * formatter a noticeable share of a backup's CPU.
 */
public final class Times {
  private static final String MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
  private static final String WEEKDAYS = "MonTueWedThuFriSatSun";

  private Times() {}

  /**
   * An HTTP date as {@link DateUtils#parseRfc822Date} reads it. The form servers send ({@code Sun,
   * 06 Nov 1994 08:49:37 GMT}) is read here directly; any other form goes to the SDK's parser.
   */
  public static Instant httpDate(String v) {
    if (v.length() == 29
        && v.charAt(3) == ','
        && v.charAt(4) == ' '
        && v.charAt(7) == ' '
        && v.charAt(11) == ' '
        && v.charAt(16) == ' '
        && v.charAt(19) == ':'
        && v.charAt(22) == ':'
        && v.endsWith(" GMT")) {
      int month = MONTHS.indexOf(v.substring(8, 11));
      int day = digits(v, 5, 2);
      int year = digits(v, 12, 4);
      int hour = digits(v, 17, 2);
      int minute = digits(v, 20, 2);
      int second = digits(v, 23, 2);
      if (month >= 0
          && month % 3 == 0
          && day > 0
          && year >= 0
          && hour >= 0
          && minute >= 0
          && second >= 0) {
        try {
          LocalDateTime t = LocalDateTime.of(year, month / 3 + 1, day, hour, minute, second);
          // The day of the week must agree with the date, as the SDK's parser insists.
          if (WEEKDAYS.startsWith(v.substring(0, 3), (t.getDayOfWeek().getValue() - 1) * 3)) {
            return t.toInstant(ZoneOffset.UTC);
          }
        } catch (DateTimeException e) {
          // not a date: the SDK's parser decides
        }
      }
    }
    return DateUtils.parseRfc822Date(v);
  }

  /** The {@code n} decimal digits at {@code at}, or -1. */
  private static int digits(String s, int at, int n) {
    int v = 0;
    for (int i = at; i < at + n; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /**
   * An ISO 8601 time as the SDK reads a listing's LastModified ({@link
   * DateUtils#parseIso8601Date}): the form servers send ({@code 2026-12-07T03:30:01.123Z}, any
   * number of fraction digits) is read here directly; any other form goes to the SDK's parser.
   * (Instant.toString() writes that form too: snapshot entries record it.)
   */
  public static Instant iso8601(String v) {
    int n = v.length();
    if (n >= 20
        && v.charAt(4) == '-'
        && v.charAt(7) == '-'
        && v.charAt(10) == 'T'
        && v.charAt(13) == ':'
        && v.charAt(16) == ':'
        && v.charAt(n - 1) == 'Z') {
      int year = digits(v, 0, 4);
      int month = digits(v, 5, 2);
      int day = digits(v, 8, 2);
      int hour = digits(v, 11, 2);
      int minute = digits(v, 14, 2);
      int second = digits(v, 17, 2);
      int nanos = 0;
      boolean ok = year >= 0 && month >= 0 && day >= 0 && hour >= 0 && minute >= 0 && second >= 0;
      if (ok && n > 20) {
        // A fraction: '.', 1 to 9 digits, then the Z.
        int digits = n - 21;
        ok = v.charAt(19) == '.' && digits >= 1 && digits <= 9;
        if (ok) {
          nanos = digits(v, 20, digits);
          ok = nanos >= 0;
          for (int i = digits; ok && i < 9; i++) nanos *= 10;
        }
      } else if (ok) {
        ok = n == 20;
      }
      if (ok) {
        try {
          return LocalDateTime.of(year, month, day, hour, minute, second, nanos)
              .toInstant(ZoneOffset.UTC);
        } catch (DateTimeException e) {
          // not a date: the SDK's parser decides
        }
      }
    }
    return DateUtils.parseIso8601Date(v);
  }
}
