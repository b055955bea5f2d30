// The Web UI's entry: routes under the page's <base href> (--basehref), the session shared by
// every page, and the SPA's client routes (the server answers them all with index.html).
import { StrictMode, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { basePath } from "./api";
import { Layout } from "./components/Layout";
import { AppDetailsPage } from "./pages/AppDetails";
import { AppsListPage } from "./pages/AppsList";
import { LoginPage } from "./pages/Login";
import { SessionProvider } from "./session";
import "./styles.css";

function App(): ReactNode {
  return (
    <BrowserRouter basename={basePath().replace(/\/$/, "") || "/"}>
      <SessionProvider>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/applications" element={<Layout><AppsListPage /></Layout>} />
          <Route path="/applications/:name" element={<Layout><AppDetailsPage /></Layout>} />
          <Route path="/applications/:namespace/:name" element={<Layout><AppDetailsPage /></Layout>} />
          <Route path="*" element={<Navigate to="/applications" replace />} />
        </Routes>
      </SessionProvider>
    </BrowserRouter>
  );
}

createRoot(document.getElementById("root")!).render(<StrictMode><App /></StrictMode>);
