import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { Highlight } from "./Highlight";

describe("a highlight in the page", () => {
  it("renders only <mark> elements, every other tag of the answer as visible text", () => {
    const { container } = render(
      <p>
        <Highlight html={'<img src=x onerror="alert(1)"> &lt;b&gt;low&lt;/b&gt; <mark>tide</mark>'} fallback="" />
      </p>,
    );
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("b")).toBeNull();
    expect([...container.querySelectorAll("mark")].map((mark) => mark.textContent)).toEqual(["tide"]);
    expect(container.textContent).toBe('<img src=x onerror="alert(1)"> <b>low</b> tide');
  });

  it("shows the plain text when the field did not match", () => {
    const { container } = render(<Highlight html={undefined} fallback="Low tide alert" />);
    expect(container.textContent).toBe("Low tide alert");
    expect(container.querySelector("mark")).toBeNull();
  });
});
