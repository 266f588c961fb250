import { StrictMode, Suspense, lazy } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Navigate, Route, Routes } from "react-router-dom";

import { Layout } from "./pages/Layout";
import { SignIn, SignInCallback } from "./pages/SignIn";
import { Workflows } from "./pages/Workflows";
import { Executions } from "./pages/Executions";
import { Approvals } from "./pages/Approvals";
import { Webhooks } from "./pages/Webhooks";
import { Installed } from "./pages/Installed";
import { Schedules } from "./pages/Schedules";
import { Credentials } from "./pages/Credentials";
import { ApiKeys } from "./pages/ApiKeys";
import { Members } from "./pages/Members";
import { Audit } from "./pages/Audit";
import { Usage } from "./pages/Usage";
import { Tenants } from "./pages/Tenants";
import { Marketplace } from "./pages/Marketplace";
import { MarketplaceItem } from "./pages/MarketplaceItem";
import { loadSession } from "./api/session";
import "./styles.css";

// The canvas (React Flow, elkjs) loads only when a graph is opened: the first page stays small.
const Builder = lazy(() => import("./pages/Builder"));
const ExecutionView = lazy(() => import("./pages/ExecutionView"));

// A platform admin stands outside tenants: its home is the tenants page.
function Home() {
  return <Navigate to={loadSession()?.platformAdmin ? "/tenants" : "/workflows"} replace />;
}

function App() {
  return (
    <BrowserRouter>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <Routes>
          <Route path="/sign-in" element={<SignIn />} />
          <Route path="/callback" element={<SignInCallback />} />
          <Route element={<Layout />}>
            <Route path="/" element={<Home />} />
            <Route path="/workflows" element={<Workflows />} />
            <Route path="/workflows/:workflowId" element={<Builder />} />
            <Route path="/executions" element={<Executions />} />
            <Route path="/executions/:executionId" element={<ExecutionView />} />
            <Route path="/approvals" element={<Approvals />} />
            <Route path="/webhooks" element={<Webhooks />} />
            <Route path="/installed" element={<Installed />} />
            <Route path="/schedules" element={<Schedules />} />
            <Route path="/credentials" element={<Credentials />} />
            <Route path="/api-keys" element={<ApiKeys />} />
            <Route path="/members" element={<Members />} />
            <Route path="/audit" element={<Audit />} />
            <Route path="/usage" element={<Usage />} />
            <Route path="/tenants" element={<Tenants />} />
            <Route path="/marketplace" element={<Marketplace />} />
            <Route path="/marketplace/:namespace/:name" element={<MarketplaceItem />} />
            <Route path="*" element={<p>No such page.</p>} />
          </Route>
        </Routes>
      </Suspense>
    </BrowserRouter>
  );
}

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
