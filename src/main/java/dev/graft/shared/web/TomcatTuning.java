package dev.graft.shared.web;

import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Larger socket read buffers for Tomcat: uploads of many gigabytes stream through the request's
 * input stream, and Tomcat's default 8 KiB application buffer costs a read call per 8 KiB.
 */
@Configuration(proxyBeanMethods = false)
class TomcatTuning {

  @Bean
  TomcatConnectorCustomizer largeUploadBuffers() {
    return connector -> {
      connector.setProperty("socket.appReadBufSize", String.valueOf(256 * 1024));
      connector.setProperty("socket.rxBufSize", String.valueOf(1024 * 1024));
    };
  }
}
