package dev.graft.events;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which URLs a webhook may point at, so that whoever may create webhooks cannot make Graft call
 * addresses inside its own network: http or https only, no credentials in the URL, and every
 * address the host resolves to either public (unless {@code allow-public-addresses} is off) or
 * inside a network listed in {@code graft.webhooks.allowed-hosts}; a host name listed there is
 * allowed whatever it resolves to. Checked when the webhook is created and again before every
 * attempt, since DNS answers change.
 */
final class UrlPolicy {

  private static final int MAX_URL = 2048;

  private final List<String> hosts = new ArrayList<>();
  private final List<Network> networks = new ArrayList<>();
  private final boolean allowPublic;

  UrlPolicy(List<String> allowed, boolean allowPublic) {
    this.allowPublic = allowPublic;
    for (String entry : allowed) {
      String e = entry.trim().toLowerCase(Locale.ROOT);
      if (e.isEmpty()) {
        continue;
      }
      Network n = Network.parse(e);
      if (n != null) {
        networks.add(n);
      } else {
        hosts.add(e);
      }
    }
  }

  /**
   * The URL, when Graft may call it.
   *
   * @throws WebhookUrlRefused naming what is wrong
   */
  URI check(String url) {
    if (url == null || url.isBlank()) {
      throw new WebhookUrlRefused("is required");
    }
    if (url.length() > MAX_URL) {
      throw new WebhookUrlRefused("is longer than " + MAX_URL + " characters");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new WebhookUrlRefused("is not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new WebhookUrlRefused("must be an http or https URL");
    }
    if (uri.getRawUserInfo() != null) {
      throw new WebhookUrlRefused("must not carry credentials (user:password@)");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new WebhookUrlRefused("must name a host");
    }
    if (uri.getRawFragment() != null) {
      throw new WebhookUrlRefused("must not have a fragment (#...)");
    }
    String name = host.toLowerCase(Locale.ROOT);
    if (name.startsWith("[") && name.endsWith("]")) {
      name = name.substring(1, name.length() - 1);
    }
    if (hostListed(name)) {
      return uri;
    }
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(name);
    } catch (UnknownHostException e) {
      throw new WebhookUrlRefused("names host '" + name + "', which does not resolve");
    }
    for (InetAddress a : addresses) {
      if (networks.stream().anyMatch(n -> n.contains(a))) {
        continue;
      }
      String kind = nonPublicKind(a);
      if (kind != null) {
        throw new WebhookUrlRefused(
            "resolves to "
                + a.getHostAddress()
                + ", "
                + kind
                + "; Graft calls such addresses only when graft.webhooks.allowed-hosts lists the"
                + " host or its network");
      }
      if (!allowPublic) {
        throw new WebhookUrlRefused(
            "resolves to "
                + a.getHostAddress()
                + ", which graft.webhooks.allowed-hosts does not list (public addresses are"
                + " turned off by graft.webhooks.allow-public-addresses=false)");
      }
    }
    return uri;
  }

  private boolean hostListed(String name) {
    for (String h : hosts) {
      if (h.startsWith("*.") ? name.endsWith(h.substring(1)) : name.equals(h)) {
        return true;
      }
    }
    return false;
  }

  /** Why an address is not public, or {@code null} when it is. */
  static String nonPublicKind(InetAddress a) {
    if (a.isLoopbackAddress()) {
      return "a loopback address";
    }
    if (a.isAnyLocalAddress()) {
      return "the unspecified address";
    }
    if (a.isLinkLocalAddress()) {
      return "a link-local address (cloud metadata services live there)";
    }
    if (a.isSiteLocalAddress()) {
      return "a private address";
    }
    if (a.isMulticastAddress()) {
      return "a multicast address";
    }
    for (Network n : SPECIAL) {
      if (n.contains(a)) {
        return "a reserved address (" + n + ")";
      }
    }
    return null;
  }

  /** Non-public ranges {@link InetAddress} has no predicate for. */
  private static final List<Network> SPECIAL =
      List.of(
          Network.parse("0.0.0.0/8"),
          Network.parse("100.64.0.0/10"),
          Network.parse("192.0.0.0/24"),
          Network.parse("198.18.0.0/15"),
          Network.parse("240.0.0.0/4"),
          Network.parse("fc00::/7"),
          Network.parse("64:ff9b::/96"),
          Network.parse("2001:db8::/32"));

  /** An address range in CIDR notation; a bare address is a network of one. */
  record Network(byte[] address, int prefix, String text) {

    /** The network an entry names, or {@code null} when the entry is a host name. */
    static Network parse(String entry) {
      String addr = entry;
      int prefix = -1;
      int slash = entry.indexOf('/');
      if (slash >= 0) {
        addr = entry.substring(0, slash);
        try {
          prefix = Integer.parseInt(entry.substring(slash + 1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "graft.webhooks.allowed-hosts: '" + entry + "' has no valid prefix length");
        }
      }
      if (!looksLikeAddress(addr)) {
        if (slash >= 0) {
          throw new IllegalArgumentException(
              "graft.webhooks.allowed-hosts: '" + entry + "' is not a network (address/bits)");
        }
        return null;
      }
      byte[] bytes;
      try {
        // A literal address: no lookup happens.
        bytes = InetAddress.getByName(addr).getAddress();
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(
            "graft.webhooks.allowed-hosts: '" + entry + "' is not an address");
      }
      int bits = bytes.length * 8;
      if (prefix < 0) {
        prefix = bits;
      }
      if (prefix > bits) {
        throw new IllegalArgumentException(
            "graft.webhooks.allowed-hosts: '" + entry + "' has a prefix longer than " + bits);
      }
      return new Network(bytes, prefix, entry);
    }

    private static boolean looksLikeAddress(String s) {
      return s.contains(":") || s.matches("[0-9.]+");
    }

    boolean contains(InetAddress a) {
      byte[] b = a.getAddress();
      if (b.length != address.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (b[i] != address[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (b[full] & mask) == (address[full] & mask);
    }

    @Override
    public String toString() {
      return text;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Network n && n.text.equals(text);
    }

    @Override
    public int hashCode() {
      return text.hashCode();
    }
  }
}
