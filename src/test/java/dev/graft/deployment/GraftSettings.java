package dev.graft.deployment;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertyState;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every setting a Graft process reads, and which of them an environment variable binds to, by
 * Spring Boot's own relaxed-binding rules: Graft's settings are derived from the
 * {@code @ConfigurationProperties} records under {@code dev.graft} (so a setting added there is
 * known here at once), Spring's from the configuration metadata its jars ship. A variable binds
 * when a property source holding only that variable, under the name Boot gives the process
 * environment, answers a lookup of the setting, exactly as the binder's lookup would.
 */
final class GraftSettings {

  /**
   * A setting: its canonical name, and whether it holds children (a map or a list) that a variable
   * may address below it.
   */
  record Setting(String name, boolean container) {}

  private static final List<Setting> ALL = load();

  private GraftSettings() {}

  /** Every known setting, Graft's and Spring's. */
  static List<Setting> all() {
    return ALL;
  }

  /** The setting an environment variable binds to, if any. */
  static Optional<String> boundBy(String variable) {
    ConfigurationPropertySource source =
        ConfigurationPropertySource.from(
            new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                Map.of(variable, "value")));
    for (Setting s : ALL) {
      ConfigurationPropertyName name = ConfigurationPropertyName.of(s.name());
      if (source.getConfigurationProperty(name) != null
          || (s.container()
              && source.containsDescendantOf(name) == ConfigurationPropertyState.PRESENT)) {
        return Optional.of(s.name());
      }
    }
    return Optional.empty();
  }

  /**
   * The variables among {@code variables} that bind to no setting and are not one of the few
   * variables something other than Spring reads ({@link DeploymentFiles#NON_SETTING_VARIABLES}).
   */
  static Set<String> unbound(Set<String> variables) {
    Set<String> unbound = new TreeSet<>();
    for (String v : variables) {
      if (!DeploymentFiles.NON_SETTING_VARIABLES.containsKey(v) && boundBy(v).isEmpty()) {
        unbound.add(v);
      }
    }
    return unbound;
  }

  /** Graft's own settings, from its {@code @ConfigurationProperties} records. */
  static List<Setting> graft() {
    List<Setting> settings = new ArrayList<>();
    ClassPathScanningCandidateComponentProvider scanner =
        new ClassPathScanningCandidateComponentProvider(false);
    scanner.addIncludeFilter(new AnnotationTypeFilter(ConfigurationProperties.class));
    for (var candidate : scanner.findCandidateComponents("dev.graft")) {
      Class<?> type;
      try {
        type = Class.forName(candidate.getBeanClassName());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
      ConfigurationProperties annotation = type.getAnnotation(ConfigurationProperties.class);
      String prefix = annotation.prefix().isEmpty() ? annotation.value() : annotation.prefix();
      walk(prefix, type, settings);
    }
    return settings;
  }

  private static void walk(String prefix, Class<?> type, List<Setting> into) {
    if (!type.isRecord()) {
      throw new IllegalStateException(
          type + " is not a record; GraftSettings reads settings from records only");
    }
    for (RecordComponent c : type.getRecordComponents()) {
      String name = prefix + "." + kebab(c.getName());
      Class<?> t = c.getType();
      if (t.isRecord() && t.getName().startsWith("dev.graft")) {
        walk(name, t, into);
      } else {
        boolean container =
            Map.class.isAssignableFrom(t) || Collection.class.isAssignableFrom(t) || t.isArray();
        into.add(new Setting(name, container));
        if (Map.class.isAssignableFrom(t) && mapOfRecords(c.getGenericType())) {
          throw new IllegalStateException(name + ": maps of records are not walked yet");
        }
      }
    }
  }

  private static boolean mapOfRecords(Type generic) {
    return generic instanceof ParameterizedType p
        && p.getActualTypeArguments().length == 2
        && p.getActualTypeArguments()[1] instanceof Class<?> v
        && v.isRecord();
  }

  /** Spring's settings, from every {@code spring-configuration-metadata.json} on the classpath. */
  static List<Setting> spring() {
    List<Setting> settings = new ArrayList<>();
    JsonMapper json = JsonMapper.builder().build();
    try {
      for (String resource :
          List.of(
              "META-INF/spring-configuration-metadata.json",
              "META-INF/additional-spring-configuration-metadata.json")) {
        Enumeration<URL> urls = GraftSettings.class.getClassLoader().getResources(resource);
        while (urls.hasMoreElements()) {
          try (InputStream in = urls.nextElement().openStream()) {
            JsonNode properties = json.readTree(in).get("properties");
            if (properties == null) {
              continue;
            }
            for (JsonNode p : properties) {
              String type = p.has("type") ? p.get("type").asString() : "";
              settings.add(
                  new Setting(
                      p.get("name").asString(),
                      type.startsWith("java.util.Map")
                          || type.startsWith("java.util.List")
                          || type.startsWith("java.util.Set")
                          || type.endsWith("[]")));
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return settings;
  }

  private static List<Setting> load() {
    List<Setting> all = new ArrayList<>(graft());
    all.addAll(spring());
    return List.copyOf(all);
  }

  private static String kebab(String camel) {
    StringBuilder b = new StringBuilder();
    for (char ch : camel.toCharArray()) {
      if (Character.isUpperCase(ch)) {
        b.append('-').append(Character.toLowerCase(ch));
      } else {
        b.append(ch);
      }
    }
    return b.toString();
  }
}
