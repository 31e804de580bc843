package dev.graft.security;

import dev.graft.shared.GraftProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.jwt.JwtDecoder;

/**
 * How people sign in to the console, known in every process (the sign-in page's controller exists
 * in any application context, the security chains only in a web server).
 */
@Configuration(proxyBeanMethods = false)
class ConsoleSignInConfiguration {

  /**
   * How people sign in, for the sign-in page: in {@code oidc} mode through the provider when Spring
   * Boot's {@code spring.security.oauth2.client.registration.graft.*} registers Graft with it (and
   * the API's {@code spring.security.oauth2.resourceserver.jwt.*} names the provider whose tokens
   * are checked).
   */
  @Bean
  ConsoleSignIn consoleSignIn(
      GraftProperties properties,
      ObjectProvider<ClientRegistrationRepository> clients,
      ObjectProvider<JwtDecoder> jwtDecoder) {
    GraftProperties.SecurityMode mode = properties.security().mode();
    ClientRegistrationRepository registrations = clients.getIfAvailable();
    boolean provider =
        mode == GraftProperties.SecurityMode.OIDC
            && registrations != null
            && registrations.findByRegistrationId(ConsoleSignIn.REGISTRATION) != null
            && jwtDecoder.getIfAvailable() != null;
    return new ConsoleSignIn(
        mode.name().toLowerCase(java.util.Locale.ROOT),
        provider ? "/oauth2/authorization/" + ConsoleSignIn.REGISTRATION : null);
  }
}
