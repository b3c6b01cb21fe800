package dev.roadie.core.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.roadie.core.Id;
import dev.roadie.s3.FaultProxy;
import dev.roadie.s3.FaultProxy.Fault;
import dev.roadie.s3.S3Backend;
import dev.roadie.s3.S3Location;
import dev.roadie.s3.S3ProxyServer;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The backend contract through a faulty network: every 4th request is reset, answered with 500 or
 * 503 SlowDown, executed with its response dropped, or delayed. The SDK's retries absorb them all.
 */
class S3ThroughFaultProxyTest extends BackendContractTest {
  static S3ProxyServer server;
  static FaultProxy proxy;

  @BeforeAll
  static void start() throws IOException {
    server = S3ProxyServer.start();
    proxy =
        new FaultProxy(server.port())
            .latency(100)
            .policy(
                FaultProxy.Policy.every(
                    4,
                    Fault.RESET,
                    Fault.DROP_RESPONSE,
                    Fault.SERVER_ERROR,
                    Fault.LATENCY,
                    Fault.RESET,
                    Fault.DROP_RESPONSE,
                    Fault.SLOW_DOWN,
                    Fault.LATENCY));
  }

  @AfterAll
  static void stop() throws IOException {
    try {
      if (proxy != null) {
        assertTrue(proxy.faultsInjected() > 20, "faults were injected: " + proxy.stats());
        proxy.close();
      }
    } finally {
      if (server != null) server.close();
    }
  }

  @Override
  protected Backend create() throws IOException {
    S3Backend b =
        new S3Backend(
            S3Location.parse("s3://faulty/t-" + Id.random().hex().substring(0, 12)),
            S3ProxyServer.settings(proxy.endpoint()));
    b.prepareForInit();
    return b;
  }
}
