// The Web UI's entry: routes under the page's <base href> (--basehref), the session shared by
// every page, and the SPA's client routes (the server answers them all with index.html).
import { StrictMode, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { basePath } from "./api";
import { CustomCss } from "./components/Banner";
import { Layout } from "./components/Layout";
import { AccountPage, AccountsPage } from "./pages/Accounts";
import { AppSetPage, AppSetsPage } from "./pages/AppSets";
import { CertsPage, GpgKeysPage } from "./pages/Certs";
import { ClusterPage, ClustersPage } from "./pages/Clusters";
import { HelpPage } from "./pages/Help";
import { ProjectPage, ProjectsPage } from "./pages/Projects";
import { ReposPage } from "./pages/Repos";
import { ResourcesPage } from "./pages/Resources";
import { SettingsPage } from "./pages/Settings";
import { UserInfoPage } from "./pages/UserInfo";
import { AppDetailsPage } from "./pages/AppDetails";
import { AppsListPage } from "./pages/AppsList";
import { LoginPage } from "./pages/Login";
import { SessionProvider } from "./session";
import { AdvancedPage, AppearancePage } from "./pages/Appearance";
import { applyTheme } from "./theme";
import "./styles.css";
import "./new-app.css";

function App(): ReactNode {
  return (
    <BrowserRouter basename={basePath().replace(/\/$/, "") || "/"}>
      <SessionProvider>
        <CustomCss />
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/applications" element={<Layout><AppsListPage /></Layout>} />
          <Route path="/applications/:name" element={<Layout><AppDetailsPage /></Layout>} />
          <Route path="/applications/:namespace/:name" element={<Layout><AppDetailsPage /></Layout>} />
          <Route path="/applicationsets" element={<Layout><AppSetsPage /></Layout>} />
          <Route path="/applicationsets/:namespace/:name" element={<Layout><AppSetPage /></Layout>} />
          <Route path="/resources" element={<Layout><ResourcesPage /></Layout>} />
          <Route path="/settings" element={<Layout><SettingsPage /></Layout>} />
          <Route path="/settings/projects" element={<Layout><ProjectsPage /></Layout>} />
          <Route path="/settings/projects/:name" element={<Layout><ProjectPage /></Layout>} />
          <Route path="/settings/clusters" element={<Layout><ClustersPage /></Layout>} />
          <Route path="/settings/clusters/:server" element={<Layout><ClusterPage /></Layout>} />
          <Route path="/settings/repos" element={<Layout><ReposPage /></Layout>} />
          <Route path="/settings/certs" element={<Layout><CertsPage /></Layout>} />
          <Route path="/settings/gpgkeys" element={<Layout><GpgKeysPage /></Layout>} />
          <Route path="/settings/accounts" element={<Layout><AccountsPage /></Layout>} />
          <Route path="/settings/accounts/:name" element={<Layout><AccountPage /></Layout>} />
          <Route path="/settings/appearance" element={<Layout><AppearancePage /></Layout>} />
          <Route path="/settings/advanced" element={<Layout><AdvancedPage /></Layout>} />
          <Route path="/user-info" element={<Layout><UserInfoPage /></Layout>} />
          <Route path="/help" element={<Layout><HelpPage /></Layout>} />
          <Route path="*" element={<Navigate to="/applications" replace />} />
        </Routes>
      </SessionProvider>
    </BrowserRouter>
  );
}

applyTheme();
createRoot(document.getElementById("root")!).render(<StrictMode><App /></StrictMode>);
