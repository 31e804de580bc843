package dev.graft.shared.web;

import org.apache.catalina.core.StandardHost;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** How Graft's embedded Tomcat reads requests and answers the ones it refuses itself. */
@Configuration(proxyBeanMethods = false)
class TomcatTuning {

  /**
   * Larger socket read buffers: uploads of many gigabytes stream through the request's input
   * stream, and Tomcat's default 8 KiB application buffer costs a read call per 8 KiB.
   */
  @Bean
  TomcatConnectorCustomizer largeUploadBuffers() {
    return connector -> {
      connector.setProperty("socket.appReadBufSize", String.valueOf(256 * 1024));
      connector.setProperty("socket.rxBufSize", String.valueOf(1024 * 1024));
    };
  }

  /**
   * Requests Tomcat refuses before Spring sees them (oversized or malformed request lines and
   * headers, bad chunked bodies) are answered with problem+json like every other error.
   */
  @Bean
  TomcatContextCustomizer problemErrorPages() {
    return context -> {
      if (context.getParent() instanceof StandardHost host) {
        host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
      }
    };
  }
}
