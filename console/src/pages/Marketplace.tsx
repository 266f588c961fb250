import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";

import { api, unwrap, type Schemas } from "../api/client";
import { ListState, ProblemView, useAction, useLoad } from "../components/common";
import { Highlight } from "../marketplace/Highlight";
import { FACETS, MODES, searchQuery, toggleFilter, type Filters, type SearchMode } from "../marketplace/search";

const SUGGESTION_DELAY_MS = 250;

/** Titles that complete what was typed, asked for once typing pauses. */
function useSuggestions(typed: string): string[] {
  const [suggestions, setSuggestions] = useState<string[]>([]);
  useEffect(() => {
    const prefix = typed.trim();
    if (!prefix) {
      setSuggestions([]);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      unwrap(api.GET("/v1/marketplace/search/suggestions", { params: { query: { prefix } } }))
        .then((answer) => current && setSuggestions(answer.items))
        .catch(() => current && setSuggestions([]));
    }, SUGGESTION_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [typed]);
  return suggestions;
}

/** The marketplace: items found by words and meaning, narrowed by the answer's facets. */
export function Marketplace() {
  const [typed, setTyped] = useState("");
  const [words, setWords] = useState("");
  const [mode, setMode] = useState<SearchMode>("hybrid");
  const [filters, setFilters] = useState<Filters>({});
  const suggestions = useSuggestions(typed);
  const loaded = useLoad(
    () => unwrap(api.GET("/v1/marketplace/search", { params: { query: searchQuery(words, mode, filters) } })),
    [words, mode, JSON.stringify(filters)],
  );
  // The pages after the first, fetched with the answer's cursor; a new search starts over.
  const [more, setMore] = useState<Schemas["MarketplaceHit"][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  useEffect(() => {
    setMore([]);
    setCursor(loaded.data?.next_cursor ?? null);
  }, [loaded.data]);
  const [moreError, loadingMore, runMore] = useAction();

  function search(event: FormEvent) {
    event.preventDefault();
    setWords(typed);
  }
  function loadMore() {
    if (!cursor) return;
    void runMore(async () => {
      const page = await unwrap(
        api.GET("/v1/marketplace/search", { params: { query: searchQuery(words, mode, filters, cursor) } }),
      );
      setMore((shown) => [...shown, ...page.items]);
      setCursor(page.next_cursor ?? null);
    });
  }
  const hits = loaded.data ? [...loaded.data.items, ...more] : undefined;
  const facets = loaded.data?.facets ?? {};
  return (
    <section>
      <h1>Marketplace</h1>
      <form className="filters" role="search" onSubmit={search}>
        <label>
          Search the marketplace{" "}
          <input
            type="search"
            list="marketplace-suggestions"
            value={typed}
            placeholder="Words or a sentence"
            onChange={(event) => setTyped(event.target.value)}
          />
        </label>
        <datalist id="marketplace-suggestions">
          {suggestions.map((suggestion) => (
            <option key={suggestion} value={suggestion} />
          ))}
        </datalist>
        <label>
          Mode
          <select value={mode} onChange={(event) => setMode(event.target.value as SearchMode)}>
            {MODES.map((each) => (
              <option key={each}>{each}</option>
            ))}
          </select>
        </label>
        <button type="submit">Search</button>
      </form>
      <div className="marketplace">
        <aside aria-label="Filters" className="facets">
          {FACETS.filter((facet) => (facets[facet] ?? []).length > 0).map((facet) => (
            <fieldset key={facet}>
              <legend>{facet}</legend>
              {(facets[facet] ?? []).map(({ value, count }) => (
                <button
                  key={value}
                  type="button"
                  className="facet"
                  aria-pressed={filters[facet] === value}
                  onClick={() => setFilters(toggleFilter(filters, facet, value))}
                >
                  {value} <span className="muted">({count})</span>
                </button>
              ))}
            </fieldset>
          ))}
        </aside>
        <div className="results">
          {loaded.data && (
            <p className="muted" role="status">
              {loaded.data.total} item{loaded.data.total === 1 ? "" : "s"}
            </p>
          )}
          <ListState loaded={loaded} items={hits} empty="No marketplace item matches: try other words or fewer filters.">
            {(items) => (
              <ul className="cards">
                {items.map((hit) => (
                  <li key={`${hit.namespace}/${hit.name}`} className="card" data-testid="marketplace-hit">
                    <Link to={`/marketplace/${hit.namespace}/${hit.name}`}>
                      <Highlight html={hit.highlights.title} fallback={hit.title} />
                    </Link>{" "}
                    <span className="badge">{hit.kind}</span>{" "}
                    <span className="muted">
                      {hit.namespace}
                      {hit.publisher_verified && <span className="badge verified"> verified</span>} · {hit.latest_version}{" "}
                      · {hit.license}
                    </span>
                    <p>
                      <Highlight html={hit.highlights.description} fallback={hit.description} />
                    </p>
                  </li>
                ))}
              </ul>
            )}
          </ListState>
          <ProblemView error={moreError} />
          {cursor && (
            <button type="button" onClick={loadMore} disabled={loadingMore}>
              More
            </button>
          )}
        </div>
      </div>
    </section>
  );
}
