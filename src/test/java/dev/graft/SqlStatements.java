package dev.graft;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Counts the SQL statements the application sends to PostgreSQL from one thread: the {@code
 * DataSource} is wrapped so that every {@code execute*} of a statement made through it is counted
 * while {@link #count} runs on the calling thread. Transaction control (begin, commit, isolation)
 * goes through the driver's connection methods and is not counted; a batch counts once.
 *
 * <p>Imported by {@link WorkerlessTest}; other contexts keep the plain {@code DataSource}.
 */
public class SqlStatements implements BeanPostProcessor {

  private static final ThreadLocal<int[]> COUNTER = new ThreadLocal<>();

  /** The result of a counted call, and how many statements it sent. */
  public record Counted<T>(T result, int statements) {}

  /** Runs {@code call} on this thread and counts the statements it sends. */
  public static <T> Counted<T> count(Callable<T> call) throws Exception {
    int[] counter = new int[1];
    COUNTER.set(counter);
    try {
      T result = call.call();
      return new Counted<>(result, counter[0]);
    } finally {
      COUNTER.remove();
    }
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    if (bean instanceof DataSource ds && !Proxy.isProxyClass(bean.getClass())) {
      return wrap(ds, new Class<?>[] {DataSource.class, AutoCloseable.class}, this::connection);
    }
    return bean;
  }

  private Object connection(Object result) {
    return result instanceof Connection c
        ? wrap(c, new Class<?>[] {Connection.class}, this::statement)
        : result;
  }

  private Object statement(Object result) {
    if (!(result instanceof Statement s)) {
      return result;
    }
    Class<?>[] types =
        result instanceof java.sql.CallableStatement
            ? new Class<?>[] {java.sql.CallableStatement.class}
            : result instanceof java.sql.PreparedStatement
                ? new Class<?>[] {java.sql.PreparedStatement.class}
                : new Class<?>[] {Statement.class};
    return Proxy.newProxyInstance(
        getClass().getClassLoader(),
        types,
        (proxy, method, args) -> {
          if (method.getName().startsWith("execute")) {
            int[] counter = COUNTER.get();
            if (counter != null) {
              counter[0]++;
            }
          }
          return invoke(s, method, args);
        });
  }

  /** A proxy that passes every call through and wraps what {@code getConnection} etc. return. */
  private static Object wrap(
      Object target, Class<?>[] types, java.util.function.UnaryOperator<Object> wrapResult) {
    InvocationHandler h =
        (proxy, method, args) -> {
          if (method.getName().equals("close") && !(target instanceof AutoCloseable)) {
            return null;
          }
          if (method.getName().equals("unwrap")
              && args[0] instanceof Class<?> c
              && c.isInstance(target)) {
            return target;
          }
          Object result = invoke(target, method, args);
          return switch (method.getName()) {
            case "getConnection", "createStatement", "prepareStatement", "prepareCall" ->
                wrapResult.apply(result);
            default -> result;
          };
        };
    return Proxy.newProxyInstance(SqlStatements.class.getClassLoader(), types, h);
  }

  private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
