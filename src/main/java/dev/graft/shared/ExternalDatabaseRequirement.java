package dev.graft.shared;

import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * Stops start-up when there is no database (no {@code spring.datasource.url}, embedded PostgreSQL
 * turned off) before any bean needs one: a bean factory post-processor runs ahead of every bean,
 * Boot's DataSource included, whose own message would suggest adding an in-memory database.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EmbeddedPostgresConfiguration.NoDatabaseConfigured.class)
class ExternalDatabaseRequirement {

  @Bean
  static BeanFactoryPostProcessor requireExternalDatabase() {
    return beanFactory -> {
      throw new DatabaseNotConfigured();
    };
  }
}
