import { autocompletion, completionKeymap, type CompletionContext } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { Compartment, EditorState, RangeSetBuilder } from "@codemirror/state";
import { Decoration, EditorView, keymap, ViewPlugin, type DecorationSet, type ViewUpdate } from "@codemirror/view";
import { useEffect, useRef } from "react";

import { completionsAt, tokenize, type PathOption } from "./jsonata";

function highlights(view: EditorView): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>();
  for (const token of tokenize(view.state.doc.toString())) {
    builder.add(token.from, token.to, Decoration.mark({ class: `jsonata-${token.kind}` }));
  }
  return builder.finish();
}

const jsonataHighlighting = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = highlights(view);
    }
    update(update: ViewUpdate) {
      if (update.docChanged) this.decorations = highlights(update.view);
    }
  },
  { decorations: (plugin) => plugin.decorations },
);

/** A JSONata expression field: highlighted, completing `$states.input` paths from the last execution's data. */
export default function ExpressionEditor({
  value,
  onChange,
  paths,
  labelledBy,
  invalid,
  disabled,
}: {
  value: string;
  onChange: (value: string) => void;
  paths: PathOption[];
  labelledBy: string;
  invalid: boolean;
  disabled: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const validity = useRef(new Compartment());
  // The editor lives across renders: what changes between them is read through refs.
  const latest = useRef({ onChange, paths });
  latest.current = { onChange, paths };

  useEffect(() => {
    const complete = (context: CompletionContext) => {
      const found = completionsAt(context.state.sliceDoc(0, context.pos), latest.current.paths);
      return found && { from: found.from, options: found.options };
    };
    const editor = new EditorView({
      parent: host.current as HTMLDivElement,
      state: EditorState.create({
        doc: value,
        extensions: [
          history(),
          keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap]),
          autocompletion({ override: [complete], activateOnTyping: true }),
          jsonataHighlighting,
          EditorView.lineWrapping,
          EditorView.editable.of(!disabled),
          EditorState.readOnly.of(disabled),
          EditorView.contentAttributes.of({ "aria-labelledby": labelledBy }),
          validity.current.of(EditorView.contentAttributes.of({ "aria-invalid": String(invalid) })),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) latest.current.onChange(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => editor.destroy();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [disabled, labelledBy]);

  useEffect(() => {
    view.current?.dispatch({
      effects: validity.current.reconfigure(EditorView.contentAttributes.of({ "aria-invalid": String(invalid) })),
    });
  }, [invalid]);

  // A change from outside (undo, a reloaded draft) replaces the text; the editor's own changes are already in it.
  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  return <div ref={host} className={`expression-editor${invalid ? " invalid" : ""}`} data-testid="expression-editor" />;
}
