import { Route, Routes } from 'react-router-dom';
import { Page } from '@backstage/core-components';
import { FabricEstatePage } from './FabricEstatePage';
import { PlanPage } from './PlanPage';

/** The fabric's pages: the estate at the root, plans under /plans/:planId. */
export const FabricRouter = () => (
  <Routes>
    <Route path="/" element={<FabricEstatePage />} />
    <Route
      path="/plans/:planId"
      element={
        <Page themeId="tool">
          <PlanPage />
        </Page>
      }
    />
  </Routes>
);
