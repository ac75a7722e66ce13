/** Hash routes (`#/rules/abc`): the static host serves one index.html, and the API keeps every path. */
import { useEffect, useState } from "preact/hooks";

export interface Route {
  screen: string;
  params: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const [path = "", search = ""] = hash.replace(/^#\/?/, "").split("?");
  const [screen = "", ...params] = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { screen, params, query: new URLSearchParams(search) };
}

export function href(screen: string, ...params: string[]): string {
  return `#/${[screen, ...params].map(encodeURIComponent).join("/")}`;
}

export function navigate(screen: string, ...params: string[]): void {
  location.hash = href(screen, ...params);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}
