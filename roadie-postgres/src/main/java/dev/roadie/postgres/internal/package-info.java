/**
 * Not API: classes that are public only because a library instantiates them by name (pgjdbc's
 * {@code socketFactory}). Nothing outside roadie-postgres may use them; they change without notice.
 */
package dev.roadie.postgres.internal;
