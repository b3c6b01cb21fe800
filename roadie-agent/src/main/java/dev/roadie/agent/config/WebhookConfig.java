package dev.roadie.agent.config;

import java.net.URI;
import java.util.Set;

/**
 * A webhook: where to post ({@code url}, read from {@code urlFile} or {@code urlEnv}, never written
 * in the config: such URLs are credentials), in which {@code format} ({@code slack}: a Slack-
 * compatible {@code {"text": …}}; {@code json}: roadie's own event object), for which {@code
 * events}.
 */
public record WebhookConfig(URI url, String format, Set<String> events) {
  public static final Set<String> EVENTS = Set.of("failure", "recovery", "verification", "drill");

  @Override
  public String toString() {
    // The URL is a secret (a Slack webhook's path is its key): only its host is ever shown.
    return "webhook to " + url.getHost() + " (" + format + ")";
  }
}
